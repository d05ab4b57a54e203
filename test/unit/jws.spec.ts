import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  KeyObject,
  sign as cryptoSign,
} from 'node:crypto';
import { jwtVerify } from 'jose';
import { claimsHold, decodeJws, JwsAlgorithm, signatureHolds, signJws } from '../../src/auth/jws';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const NOW = 1_800_000_000;
const CHECKS = { issuer: 'perfect21', audience: 'perfect21-api', tolerance: 5, now: NOW };
const ALGORITHMS: JwsAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA'];

interface Keys {
  sign: KeyObject;
  verify: KeyObject;
}

function keysFor(alg: JwsAlgorithm): Keys {
  if (alg.startsWith('HS')) {
    const secret = createSecretKey(Buffer.from(SECRET));
    return { sign: secret, verify: secret };
  }
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { sign: pair.privateKey, verify: pair.publicKey };
}

const KEYS = Object.fromEntries(ALGORITHMS.map((alg) => [alg, keysFor(alg)])) as Record<
  JwsAlgorithm,
  Keys
>;
/** A second key of each kind: its signatures must not pass for the first. */
const OTHER_KEYS = Object.fromEntries(ALGORITHMS.map((alg) => [alg, keysFor(alg)])) as Record<
  JwsAlgorithm,
  Keys
>;
OTHER_KEYS.HS256 = {
  sign: createSecretKey(Buffer.from(`${SECRET}-other`)),
  verify: KEYS.HS256.verify,
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const raw = (text: string) => Buffer.from(text).toString('base64url');
const HASH = { HS256: 'sha256', RS256: 'sha256', ES256: 'sha256', EdDSA: null } as const;

/** A signature over `input` the way RFC 7515/7518 define it (r ‖ s for ECDSA unless `der`). */
function signature(alg: JwsAlgorithm, key: KeyObject, input: string, der = false): string {
  if (alg.startsWith('HS')) {
    const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg as 'HS256'];
    return createHmac(hash, key).update(input).digest('base64url');
  }
  const dsaEncoding = alg === 'ES256' && !der ? 'ieee-p1363' : 'der';
  return cryptoSign(HASH[alg as 'RS256'], Buffer.from(input), { key, dsaEncoding }).toString(
    'base64url',
  );
}

const CLAIMS = { sub: 'u', iss: 'perfect21', aud: 'perfect21-api', iat: NOW - 60, exp: NOW + 900 };

/** Every case, for one algorithm: the in-line verifier must give jose's verdict. */
function cases(alg: JwsAlgorithm): Record<string, string> {
  const { sign } = KEYS[alg];
  const HEADER = { alg, typ: 'JWT' };
  const signed = (header: string, payload: string, key = sign, as = alg) =>
    `${header}.${payload}.${signature(as, key, `${header}.${payload}`)}`;
  const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    signed(b64({ ...HEADER, ...header }), b64({ ...CLAIMS, ...claims }));
  const valid = token();
  const [h, p, s] = valid.split('.');
  return {
    valid,
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
    'alg HS384 signed HS384 with the secret': (() => {
      const header = b64({ alg: 'HS384' });
      const secret = createSecretKey(Buffer.from(SECRET));
      return `${header}.${p}.${signature('HS384', secret, `${header}.${p}`)}`;
    })(),
    'alg HS256, the public key as the HMAC secret': (() => {
      const header = b64({ alg: 'HS256' });
      const { verify } = KEYS[alg];
      const publicBytes =
        verify.type === 'secret' ? verify.export() : verify.export({ type: 'spki', format: 'pem' });
      const secret = createSecretKey(Buffer.from(publicBytes));
      return `${header}.${p}.${signature('HS256', secret, `${header}.${p}`)}`;
    })(),
    'alg none, no signature': `${b64({ alg: 'none' })}.${b64(CLAIMS)}.`,
    'alg none, a valid signature': signed(b64({ alg: 'none' }), b64(CLAIMS)),
    'alg missing': signed(b64({ typ: 'JWT' }), b64(CLAIMS)),
    'duplicate alg, the last one none': signed(raw(`{"alg":"${alg}","alg":"none"}`), b64(CLAIMS)),
    'another key': signed(h, p, OTHER_KEYS[alg].sign),
    'signature bit-flipped': `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`,
    'signature truncated': valid.slice(0, -6),
    'signature stripped': `${h}.${p}.`,
    'signature in DER (ECDSA)': `${h}.${p}.${signature(alg, sign, `${h}.${p}`, true)}`,
    'two segments': `${h}.${p}`,
    'four segments': `${valid}.${s}`,
    'signature with a non-base64url character': `${valid.slice(0, -1)}+`,
    'header not JSON': signed(raw(`{"alg":"${alg}"`), b64(CLAIMS)),
    'header an array': signed(b64([alg]), b64(CLAIMS)),
    'payload not JSON': signed(b64(HEADER), raw('{"sub":')),
    'payload null': signed(b64(HEADER), b64(null)),
    'payload an array': signed(b64(HEADER), b64([CLAIMS])),
    'payload not UTF-8': signed(b64(HEADER), Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')),
    'crit header': token({}, { crit: ['exp'] }),
    'kid, jwk and jku headers (never consulted)': token(
      {},
      { kid: 'x', jku: 'https://evil.example', jwk: { kty: 'oct', k: 'AAAA' } },
    ),
  };
}

const ours = (alg: JwsAlgorithm, jwt: string, key = KEYS[alg].verify) => {
  const jws = decodeJws(jwt);
  return !!jws && signatureHolds(jws, { alg, key }) && claimsHold(jws.payload, CHECKS);
};

async function joseAccepts(alg: JwsAlgorithm, jwt: string) {
  try {
    await jwtVerify(jwt, KEYS[alg].verify, {
      algorithms: [alg],
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

describe.each(ALGORITHMS)('%s tokens verified in-line (jws.ts)', (alg) => {
  const corpus = cases(alg);

  it.each(Object.entries(corpus))('%s: the same verdict as jose', async (_, jwt) => {
    expect(ours(alg, jwt)).toBe(await joseAccepts(alg, jwt));
  });

  it('accepts the valid case and refuses an expired one (the corpus is not all one verdict)', () => {
    expect(ours(alg, corpus.valid)).toBe(true);
    expect(decodeJws(corpus.valid)?.payload).toMatchObject({ sub: 'u' });
    expect(ours(alg, corpus['exp past the leeway'])).toBe(false);
  });

  it('refuses a non-canonical encoding of a valid signature', () => {
    const [h, p, s] = corpus.valid.split('.');
    // The last character of an encoding whose bit count is not a multiple of 6 carries unused
    // bits (HS256 43 characters, ES256/EdDSA 86, RS256 342): flip one of them.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = `${h}.${p}.${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) ^ 1]}`;
    expect(Buffer.from(tweaked.split('.')[2], 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect(ours(alg, tweaked)).toBe(false);
  });

  it('signs what jose verifies, and only under its own algorithm and key', async () => {
    const jwt = await signJws({ alg, key: KEYS[alg].sign }, { alg, typ: 'JWT' }, CLAIMS);
    await expect(
      jwtVerify(jwt, KEYS[alg].verify, { algorithms: [alg], currentDate: new Date(NOW * 1000) }),
    ).resolves.toMatchObject({ payload: CLAIMS });
    expect(ours(alg, jwt)).toBe(true);
    expect(
      ours(
        alg,
        jwt,
        OTHER_KEYS[alg].sign.type === 'secret' ? OTHER_KEYS[alg].sign : OTHER_KEYS[alg].verify,
      ),
    ).toBe(false);
    const otherAlg = ALGORITHMS.find((a) => a !== alg)!;
    const jws = decodeJws(jwt)!;
    expect(signatureHolds(jws, { alg: otherAlg, key: KEYS[alg].verify })).toBe(false);
  });
});

it.each(['HS384', 'HS512'] as const)('%s: jose verifies what signJws signs', async (alg) => {
  const key = createSecretKey(Buffer.from(SECRET));
  const jwt = await signJws({ alg, key }, { alg, typ: 'JWT' }, CLAIMS);
  await expect(
    jwtVerify(jwt, key, { algorithms: [alg], currentDate: new Date(NOW * 1000) }),
  ).resolves.toMatchObject({ payload: CLAIMS });
  expect(signatureHolds(decodeJws(jwt)!, { alg, key })).toBe(true);
});
