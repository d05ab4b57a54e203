import Fastify, { type FastifyServerOptions } from 'fastify';
import { ThrottlerGuard } from '@nestjs/throttler';
import { loadConfig } from '../../src/config/app-config';
import { fastifyTrustProxy, parseTrustProxy } from '../../src/config/trust-proxy';

/** request.ip / request.ips as the installed Fastify computes them for one request. */
async function seen(
  trustProxy: FastifyServerOptions['trustProxy'] | number,
  remoteAddress: string,
  forwardedFor?: string,
) {
  // Fastify's types dropped numbers; the runtime still takes them, and that is pinned here.
  const sut = Fastify({ trustProxy } as FastifyServerOptions);
  sut.get('/', (request) => ({ ip: request.ip, ips: request.ips }));
  const res = await sut.inject({
    method: 'GET',
    url: '/',
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  await sut.close();
  return res.json<{ ip: string; ips?: string[] }>();
}

const viaTrustProxy = (value: string, remote: string, xff?: string) =>
  seen(fastifyTrustProxy(parseTrustProxy(value)), remote, xff);

describe('TRUST_PROXY', () => {
  describe('the installed Fastify (behaviour this code relies on)', () => {
    it('fails closed on a numeric trustProxy: request.ip stays the socket peer', async () => {
      await expect(seen(1, '10.0.0.5', '203.0.113.7')).resolves.toMatchObject({
        ip: '10.0.0.5',
      });
    });

    it('lists request.ips socket-first (the reverse of Express), so ips[0] is the proxy', async () => {
      const { ips } = await seen(true, '10.0.0.5', '203.0.113.7, 198.51.100.2');
      expect(ips).toEqual(['10.0.0.5', '198.51.100.2', '203.0.113.7']);
    });

    it('calls a trust function with the hop index, 0 being the socket peer', async () => {
      const calls: [string, number][] = [];
      await seen(
        (address: string, hop: number) => {
          calls.push([address, hop]);
          return true;
        },
        '10.0.0.5',
        '203.0.113.7, 198.51.100.2',
      );
      // The left-most address is never asked about: nothing lies beyond it.
      expect(calls.slice(0, 2)).toEqual([
        ['10.0.0.5', 0],
        ['198.51.100.2', 1],
      ]);
    });

    it("@nestjs/throttler's default tracker keys on request.ip, not ips[0]", async () => {
      const tracker = await (
        ThrottlerGuard.prototype as unknown as {
          getTracker(this: unknown, req: { ip: string; ips: string[] }): Promise<string>;
        }
      ).getTracker.call({ ipv6SubnetPrefix: 64 }, { ip: '203.0.113.7', ips: ['10.0.0.5'] });
      expect(tracker).toBe('203.0.113.7');
    });
  });

  describe('each form of the setting (request.ip it yields)', () => {
    it('unset or false: the socket peer, whatever X-Forwarded-For says', async () => {
      expect(parseTrustProxy(undefined)).toBe(false);
      expect(parseTrustProxy('false')).toBe(false);
      expect(parseTrustProxy('0')).toBe(false);
      await expect(viaTrustProxy('false', '10.0.0.5', '203.0.113.7')).resolves.toMatchObject({
        ip: '10.0.0.5',
      });
    });

    it('true: the left-most X-Forwarded-For address (every hop trusted)', async () => {
      await expect(
        viaTrustProxy('true', '10.0.0.5', '203.0.113.7, 198.51.100.2'),
      ).resolves.toMatchObject({ ip: '203.0.113.7' });
    });

    it('a hop count, as Express: 1 → last X-Forwarded-For entry, 2 → the second-last', async () => {
      const xff = '192.0.2.66, 203.0.113.7, 198.51.100.2';
      await expect(viaTrustProxy('1', '10.0.0.5', xff)).resolves.toMatchObject({
        ip: '198.51.100.2',
      });
      await expect(viaTrustProxy('2', '10.0.0.5', xff)).resolves.toMatchObject({
        ip: '203.0.113.7',
      });
      // More hops than addresses: the left-most one, as Express.
      await expect(viaTrustProxy('9', '10.0.0.5', xff)).resolves.toMatchObject({
        ip: '192.0.2.66',
      });
      // No header: the socket peer.
      await expect(viaTrustProxy('1', '10.0.0.5')).resolves.toMatchObject({ ip: '10.0.0.5' });
    });

    it('an address/CIDR list: X-Forwarded-For believed only from a listed peer', async () => {
      const value = '172.29.21.0/24, 192.0.2.1';
      await expect(viaTrustProxy(value, '172.29.21.4', '203.0.113.7')).resolves.toMatchObject({
        ip: '203.0.113.7',
      });
      await expect(viaTrustProxy(value, '192.0.2.1', '203.0.113.7')).resolves.toMatchObject({
        ip: '203.0.113.7',
      });
      await expect(viaTrustProxy(value, '198.51.100.9', '203.0.113.7')).resolves.toMatchObject({
        ip: '198.51.100.9',
      });
      // A client cannot smuggle a hop: the first untrusted address from the right wins.
      await expect(
        viaTrustProxy(value, '172.29.21.4', '6.6.6.6, 203.0.113.7'),
      ).resolves.toMatchObject({ ip: '203.0.113.7' });
    });

    it('the names loopback, linklocal, uniquelocal, alone or mixed with addresses', async () => {
      await expect(viaTrustProxy('loopback', '127.0.0.1', '203.0.113.7')).resolves.toMatchObject({
        ip: '203.0.113.7',
      });
      await expect(
        viaTrustProxy('linklocal', '169.254.10.1', '203.0.113.7'),
      ).resolves.toMatchObject({ ip: '203.0.113.7' });
      for (const peer of ['10.1.2.3', '172.16.0.9', '192.168.1.1']) {
        await expect(viaTrustProxy('uniquelocal', peer, '203.0.113.7')).resolves.toMatchObject({
          ip: '203.0.113.7',
        });
      }
      await expect(viaTrustProxy('uniquelocal', '127.0.0.1', '203.0.113.7')).resolves.toMatchObject(
        { ip: '127.0.0.1' },
      );
      await expect(
        viaTrustProxy('loopback, 10.0.0.0/8', '10.9.9.9', '203.0.113.7'),
      ).resolves.toMatchObject({ ip: '203.0.113.7' });
    });

    it('refuses a malformed entry at start-up, naming TRUST_PROXY', () => {
      expect(() => loadConfig({ TRUST_PROXY: 'nginx' })).toThrow(/TRUST_PROXY/);
      expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
      expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
    });
  });
});
