import proxyAddr from '@fastify/proxy-addr';

/**
 * TRUST_PROXY as the contract defines it: off, `true` (every hop), a hop count as Express
 * defines it, or a list of proxy addresses/CIDRs and the names loopback/linklocal/uniquelocal.
 */
export type TrustProxy = false | true | { hops: number } | string[];

/** proxy-addr's trust callback: `hop` 0 is the socket peer, 1 the last X-Forwarded-For entry... */
export type TrustFunction = (address: string, hop: number) => boolean;

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Throws an Error naming the bad entry; callers wrap it into their own error type. */
export function parseTrustProxy(value?: string): TrustProxy {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops === 0 ? false : { hops };
  }
  const entries = list(value);
  try {
    proxyAddr.compile(entries);
  } catch (err) {
    throw new Error(
      `TRUST_PROXY: ${(err as Error).message} (expected true, a hop count, or addresses/CIDRs/loopback/linklocal/uniquelocal)`,
      { cause: err },
    );
  }
  return entries;
}

/**
 * The value handed to Fastify. Fastify >= 5.12 turns a numeric `trustProxy` into "trust
 * nothing", so a hop count becomes the function Express's proxy-addr builds for a number:
 * the first `hops` addresses counted from the socket are proxies, the next one is the client.
 */
export function fastifyTrustProxy(trust: TrustProxy): boolean | TrustFunction {
  if (trust === false || trust === true) return trust;
  if (Array.isArray(trust)) return proxyAddr.compile(trust);
  const { hops } = trust;
  return (_address, hop) => hop < hops;
}
