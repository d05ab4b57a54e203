import { KeyRing, MAX_JWKS_CACHE_SECONDS, RingKey } from '../../src/signing-keys/key-ring';

const POLICY = { rotationSeconds: 1000, prepublishSeconds: 200, maxTokenTtlSeconds: 600 };
const key = (kid: string, activatesAt: number, revokedAt: number | null = null): RingKey => ({
  kid,
  alg: 'EdDSA',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid },
  activatesAt,
  revokedAt,
});

describe(KeyRing.name, () => {
  it('no key: the first one is due now', () => {
    const sut = new KeyRing([], POLICY);
    expect(sut.active(0)).toBeUndefined();
    expect(sut.due(50)).toEqual({ createAt: 50, activatesAt: 50 });
  });

  it('the next key is due prepublish seconds before the rotation, and activates at it', () => {
    const sut = new KeyRing([key('a', 0)], POLICY);
    expect(sut.due(100)).toEqual({ createAt: 800, activatesAt: 1000 });
    // Late (a replica was down): still published a full prepublish period before it signs.
    expect(sut.due(950)).toEqual({ createAt: 800, activatesAt: 1150 });
  });

  it('a retired key verifies only tokens issued before its retirement, until the longest token expired', () => {
    const sut = new KeyRing([key('b', 1000), key('a', 0)], POLICY);
    expect(sut.active(999)?.kid).toBe('a');
    expect(sut.active(1000)?.kid).toBe('b');
    expect(sut.retiresAt('a')).toBe(1000);
    expect(sut.accepts('a', 999, 1500)).toBe(true);
    expect(sut.accepts('a', 1000, 1500)).toBe(false);
    expect(sut.accepts('a', 999, 1600)).toBe(false);
    expect(sut.accepts('b', 999, 1500)).toBe(false);
    expect(sut.published(1599).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(sut.published(1600).map((k) => k.kid)).toEqual(['b']);
    expect(sut.due(900)).toBeUndefined();
    expect(sut.due(1000)).toEqual({ createAt: 1800, activatesAt: 2000 });
  });

  it('a revoked active key verifies nothing, keeps the old key retired, and calls for a replacement', () => {
    const sut = new KeyRing([key('a', 0), key('b', 1000, 1100)], POLICY);
    expect(sut.accepts('b', 1050, 1200)).toBe(false);
    expect(sut.accepts('a', 1050, 1200)).toBe(false);
    expect(sut.published(1200).map((k) => k.kid)).toEqual(['a']);
    expect(sut.due(1200)).toEqual({ createAt: 1200, activatesAt: 1200 });
  });

  it('a key revoked before it activated leaves the schedule', () => {
    const sut = new KeyRing([key('a', 0), key('b', 1000, 900)], POLICY);
    expect(sut.next(900)).toBeUndefined();
    expect(sut.active(1100)?.kid).toBe('a');
    expect(sut.accepts('a', 1050, 1100)).toBe(true);
  });

  it('the JWKS max-age never runs past the next activation', () => {
    expect(new KeyRing([key('a', 0)], POLICY).cacheSeconds(100)).toBe(MAX_JWKS_CACHE_SECONDS);
    expect(new KeyRing([key('a', 0)], POLICY).cacheSeconds(700)).toBe(300);
    expect(new KeyRing([key('a', 0), key('b', 1000)], POLICY).cacheSeconds(850)).toBe(150);
    expect(new KeyRing([key('a', 0)], POLICY).cacheSeconds(1100)).toBe(0);
  });
});
