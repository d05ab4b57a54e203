import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { claimsHold, decodeJws, signatureHolds, signJws } from '../src/auth/jws';
import type { JwtAlgorithm } from '../src/config/env.schema';
import {
  generateKeyMaterial,
  importPrivateKey,
  importPublicKey,
} from '../src/signing-keys/key-material';

/**
 * Cost of one signature and one verification per algorithm: the service's own (src/auth/jws.ts,
 * node:crypto on the event loop) and jose's (WebCrypto, a thread-pool job per call), with the
 * keys imported the way the service imports them and the service's claims and checks.
 * `npm run bench:jwt [-- iterations]`. Numbers on a shared machine are indicative only.
 */
const ITERATIONS = Number(process.argv[2] ?? 3000);
const ALGORITHMS: JwtAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA'];
const OPTIONS = { issuer: 'perfect21-auth', audience: 'perfect21-api' };

function keysFor(alg: JwtAlgorithm): Promise<{ sign: KeyObject; verify: KeyObject }> {
  if (alg.startsWith('HS')) {
    const key = createSecretKey(Buffer.from('x'.repeat(48)));
    return Promise.resolve({ sign: key, verify: key });
  }
  const asymmetric = alg as 'RS256' | 'ES256' | 'EdDSA';
  return generateKeyMaterial(asymmetric).then((material) => ({
    sign: importPrivateKey(asymmetric, material.privatePem),
    verify: importPublicKey(asymmetric, material.publicJwk),
  }));
}

const claims = () => ({
  sub: randomUUID(),
  role: 'user',
  type: 'access',
  sid: randomUUID(),
  jti: randomUUID(),
});
const header = (alg: JwtAlgorithm) => ({ alg, typ: 'JWT', kid: 'bench' });
const nowSeconds = () => Math.floor(Date.now() / 1000);

const joseSign = (alg: JwtAlgorithm, key: KeyObject) =>
  new SignJWT(claims())
    .setProtectedHeader(header(alg))
    .setIssuedAt()
    .setExpirationTime('1h')
    .setIssuer(OPTIONS.issuer)
    .setAudience(OPTIONS.audience)
    .sign(key);

const ownSign = (alg: JwtAlgorithm, key: KeyObject) =>
  signJws({ alg, key }, header(alg), {
    ...claims(),
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    iss: OPTIONS.issuer,
    aud: OPTIONS.audience,
  });

function ownVerify(alg: JwtAlgorithm, key: KeyObject, token: string) {
  const jws = decodeJws(token);
  const checks = { ...OPTIONS, tolerance: 5, now: nowSeconds() };
  if (!jws || !signatureHolds(jws, { alg, key }) || !claimsHold(jws.payload, checks)) {
    throw new Error('not verified');
  }
  return Promise.resolve(jws);
}

/** Mean wall time and CPU time (all threads) per call, in µs. */
async function measure(fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(500, ITERATIONS); i++) await fn();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  const wall = Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / ITERATIONS };
}

async function main() {
  const rows: string[] = [
    '| algorithm | sign µs (cpu): jws.ts | jose | verify µs (cpu): jws.ts | jose |',
    '|---|---|---|---|---|',
  ];
  const cell = (m: { wall: number; cpu: number }) => `${m.wall.toFixed(0)} (${m.cpu.toFixed(0)})`;
  for (const alg of ALGORITHMS) {
    const keys = await keysFor(alg);
    const token = await ownSign(alg, keys.sign);
    const cells = [
      await measure(() => ownSign(alg, keys.sign)),
      await measure(() => joseSign(alg, keys.sign)),
      await measure(() => ownVerify(alg, keys.verify, token)),
      await measure(() => jwtVerify(token, keys.verify, { ...OPTIONS, algorithms: [alg] })),
    ];
    rows.push(`| ${alg} | ${cells.map(cell).join(' | ')} |`);
  }
  process.stdout.write(
    `${ITERATIONS} iterations each, node ${process.version}\n${rows.join('\n')}\n`,
  );
}

void main();
