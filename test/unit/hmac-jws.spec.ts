import { createHmac, createSecretKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { HmacKey, signHmacJws, verifyHmacJws } from '../../src/auth/hmac-jws';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const KEY: HmacKey = { secret: createSecretKey(Buffer.from(SECRET)), alg: 'HS256' };
const NOW = 1_800_000_000;
const CHECKS = { issuer: 'perfect21', audience: 'perfect21-api', tolerance: 5, now: NOW };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const raw = (text: string) => Buffer.from(text).toString('base64url');
const mac = (input: string, secret = SECRET, hash = 'sha256') =>
  createHmac(hash, secret).update(input).digest('base64url');
const signed = (header: string, payload: string, secret?: string, hash?: string) =>
  `${header}.${payload}.${mac(`${header}.${payload}`, secret, hash)}`;

const HEADER = { alg: 'HS256', typ: 'JWT' };
const CLAIMS = { sub: 'u', iss: 'perfect21', aud: 'perfect21-api', iat: NOW - 60, exp: NOW + 900 };
const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signed(b64({ ...HEADER, ...header }), b64({ ...CLAIMS, ...claims }));

/** Every case: the in-line verifier must give jose's verdict for the service's options. */
const CASES: Record<string, string> = {
  valid: token(),
  'exp within the leeway': token({ exp: NOW - 4 }),
  'exp at the leeway': token({ exp: NOW - 5 }),
  'exp past the leeway': token({ exp: NOW - 6 }),
  'exp missing': token({ exp: undefined }),
  'exp a string': token({ exp: String(NOW + 900) }),
  'exp null': token({ exp: null }),
  'iat missing': token({ iat: undefined }),
  'iat a string': token({ iat: 'yesterday' }),
  'iat in the future (not checked)': token({ iat: NOW + 3600 }),
  'nbf within the leeway': token({ nbf: NOW + 5 }),
  'nbf past the leeway': token({ nbf: NOW + 6 }),
  'nbf a string': token({ nbf: 'now' }),
  'nbf null': token({ nbf: null }),
  'iss wrong': token({ iss: 'evil' }),
  'iss missing': token({ iss: undefined }),
  'iss in an array': token({ iss: ['perfect21'] }),
  'aud wrong': token({ aud: 'another-api' }),
  'aud missing': token({ aud: undefined }),
  'aud in an array': token({ aud: ['other', 'perfect21-api'] }),
  'aud an array without it': token({ aud: ['other'] }),
  'aud an object': token({ aud: { 0: 'perfect21-api' } }),
  'aud a number': token({ aud: 7 }),
  'alg HS384 signed HS384': signed(b64({ alg: 'HS384' }), b64(CLAIMS), SECRET, 'sha384'),
  'alg none, no signature': `${b64({ alg: 'none' })}.${b64(CLAIMS)}.`,
  'alg none, HS256 signature': signed(b64({ alg: 'none' }), b64(CLAIMS)),
  'alg missing': signed(b64({ typ: 'JWT' }), b64(CLAIMS)),
  'duplicate alg, the last one none': signed(raw('{"alg":"HS256","alg":"none"}'), b64(CLAIMS)),
  'another secret': signed(b64(HEADER), b64(CLAIMS), `${SECRET}-other`),
  'signature bit-flipped': (() => {
    const [h, p, s] = token().split('.');
    return `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
  })(),
  'signature truncated': token().slice(0, -6),
  'signature stripped': token().split('.').slice(0, 2).join('.') + '.',
  'two segments': token().split('.').slice(0, 2).join('.'),
  'four segments': `${token()}.${mac('x')}`,
  'signature with a non-base64url character': token().slice(0, -1) + '+',
  'header not JSON': signed(raw('{"alg":"HS256"'), b64(CLAIMS)),
  'header an array': signed(b64(['HS256']), b64(CLAIMS)),
  'payload not JSON': signed(b64(HEADER), raw('{"sub":')),
  'payload null': signed(b64(HEADER), b64(null)),
  'payload an array': signed(b64(HEADER), b64([CLAIMS])),
  'payload not UTF-8': signed(b64(HEADER), Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')),
  'crit header': token({}, { crit: ['exp'] }),
  'kid and jku headers (ignored under HS)': token({}, { kid: 'x', jku: 'https://evil.example' }),
};

async function joseAccepts(jwt: string) {
  try {
    await jwtVerify(jwt, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      issuer: CHECKS.issuer,
      audience: CHECKS.audience,
      clockTolerance: CHECKS.tolerance,
      currentDate: new Date(NOW * 1000),
      requiredClaims: ['iat', 'exp'],
    });
    return true;
  } catch {
    return false;
  }
}

describe('HMAC JWS verified in-line (hmac-jws.ts)', () => {
  it.each(Object.entries(CASES))('%s: the same verdict as jose', async (_, jwt) => {
    const ours = verifyHmacJws(jwt, KEY, CHECKS) !== null;
    expect(ours).toBe(await joseAccepts(jwt));
  });

  it('accepts the valid case and refuses an expired one (the corpus is not all one verdict)', () => {
    expect(verifyHmacJws(CASES.valid, KEY, CHECKS)?.payload).toMatchObject({ sub: 'u' });
    expect(verifyHmacJws(CASES['exp past the leeway'], KEY, CHECKS)).toBeNull();
  });

  it('refuses a non-canonical encoding of a valid signature', () => {
    const [h, p, s] = token().split('.');
    // 32 bytes are 43 characters whose last one carries 2 unused bits: flip one of them.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = `${h}.${p}.${s.slice(0, -1)}${last[last.indexOf(s.at(-1)!) ^ 1]}`;
    expect(Buffer.from(tweaked.split('.')[2], 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect(verifyHmacJws(tweaked, KEY, CHECKS)).toBeNull();
    expect(verifyHmacJws(token(), KEY, CHECKS)).not.toBeNull();
  });

  it.each(['HS256', 'HS384', 'HS512'] as const)(
    '%s: jose verifies what signHmacJws signs',
    async (alg) => {
      const key: HmacKey = { ...KEY, alg };
      const jwt = signHmacJws(key, { alg, typ: 'JWT' }, CLAIMS);
      await expect(
        jwtVerify(jwt, new TextEncoder().encode(SECRET), {
          algorithms: [alg],
          currentDate: new Date(NOW * 1000),
        }),
      ).resolves.toMatchObject({ payload: CLAIMS });
      expect(verifyHmacJws(jwt, key, CHECKS)?.payload).toEqual(CLAIMS);
      expect(
        verifyHmacJws(jwt, { ...key, alg: alg === 'HS256' ? 'HS512' : 'HS256' }, CHECKS),
      ).toBeNull();
    },
  );
});
