import {
  constants,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
  sign as cryptoSign,
} from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { bearer, createUser, expectErrorEnvelope, RegisteredUser } from '../utils/factories';
import { privateKeyOf } from '../utils/signing-keys';
import { createTestApp, FAST_ENV, TestApp } from '../utils/test-app';

/**
 * Hostile JWTs, in the spirit of panva/jose's and auth0/node-jsonwebtoken's suites. Tokens
 * are forged by hand with node:crypto and the test app's own secret (HS256) or its own
 * signing key (RS256, the managed keys), so that in each case exactly one property is wrong;
 * a sanity test proves the forger reproduces real tokens.
 */

type Json = Record<string, unknown>;
/** A value to JSON-encode, or `{ raw }` text used as is. */
type Segment = unknown;

const SECRET = FAST_ENV.JWT_SECRET_KEY;
const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };
/** The mode's genuine header and signature (set in beforeAll). */
let HEADER: Json = HS256_HEADER;

const b64u = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const segment = (value: Segment) =>
  b64u(
    typeof value === 'object' && value !== null && 'raw' in value
      ? (value as { raw: string }).raw
      : JSON.stringify(value),
  );
const decodeSegment = (token: string, index: number) =>
  JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Json;

type Signer = (input: string) => Buffer;
const hmac =
  (hash: 'sha256' | 'sha384' | 'sha512', key: string | Buffer): Signer =>
  (input) =>
    createHmac(hash, key).update(input).digest();

let genuineSigner: Signer = hmac('sha256', SECRET);

/** Builds `header.payload.signature`; `raw` segments allow duplicate keys and odd JSON. */
function jws(header: Segment, payload: Segment, signer: Signer = genuineSigner) {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${b64u(signer(input))}`;
}

/** Base claims with changes applied; `undefined` removes a claim. */
function claims(base: Json, changes: Json = {}): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** Serializes claims by hand, appending raw `"key": value` members (duplicates allowed). */
function rawPayload(base: Json, extra: string, omit: string[] = []) {
  const body = JSON.stringify(claims(base, Object.fromEntries(omit.map((k) => [k, undefined]))));
  return { raw: `${body.slice(0, -1)},${extra}}` };
}

const now = () => Math.floor(Date.now() / 1000);

function rsaKeys() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

describe.each(['HS256', 'RS256'] as const)('malicious tokens (JWT_ALGORITHM=%s)', (mode) => {
  let t: TestApp;
  /** The service's own public key (RS256 mode), the classic HS256-confusion secret. */
  let servicePublicPem: string | undefined;
  let user: RegisteredUser;
  let access: Json;
  let refresh: Json;
  let attacker: { privateKey: KeyObject; publicKey: KeyObject };
  let ec: { privateKey: KeyObject; publicKey: KeyObject };
  let keyServer: Server;
  let keyServerHits = 0;
  let keyServerUrl: string;

  beforeAll(async () => {
    t = await createTestApp(mode === 'RS256' ? { JWT_ALGORITHM: 'RS256' } : {});
    user = await createUser(t.http);
    if (mode === 'RS256') {
      const header = decodeSegment(user.accessToken, 0);
      const privateKey = KeyObject.from(await privateKeyOf(t, String(header.kid)));
      HEADER = header;
      genuineSigner = (input) => cryptoSign('sha256', Buffer.from(input), privateKey);
      servicePublicPem = createPublicKey(privateKey)
        .export({ type: 'spki', format: 'pem' })
        .toString();
    } else {
      HEADER = HS256_HEADER;
      genuineSigner = hmac('sha256', SECRET);
    }
    access = decodeSegment(user.accessToken, 1);
    refresh = decodeSegment(user.refreshToken, 1);
    attacker = rsaKeys();
    ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyServer = createServer((_req, res) => {
      keyServerHits += 1;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [attacker.publicKey.export({ format: 'jwk' })] }));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => keyServer.close(resolve));
    await t.close();
  });

  /** 401 UNAUTHORIZED with the envelope and `WWW-Authenticate: Bearer`, quickly. */
  async function rejectsAccess(token: string) {
    const started = performance.now();
    const res = await t.http.get('/api/users/me').set(bearer(token));
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 401 });
    expectErrorEnvelope(res.body, 'UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(performance.now() - started).toBeLessThan(1000);
  }

  async function rejectsRefresh(token: string) {
    const res = await t.http.post('/api/auth/refresh').send({ refresh_token: token });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 401 });
    expectErrorEnvelope(res.body, 'INVALID_TOKEN');
  }

  const rs256 = (payload: Segment, header: Json = {}) =>
    jws({ alg: 'RS256', typ: 'JWT', ...header }, payload, (input) =>
      cryptoSign('sha256', Buffer.from(input), attacker.privateKey),
    );

  describe('the forger is faithful', () => {
    it('re-signing the issued claims reproduces the issued tokens byte for byte', async () => {
      expect(decodeSegment(user.accessToken, 0)).toEqual(HEADER);
      expect(jws(HEADER, access)).toBe(user.accessToken);
      expect(jws(HEADER, refresh)).toBe(user.refreshToken);
      const fresh = claims(access, { jti: randomUUID(), iat: now() });
      await t.http
        .get('/api/users/me')
        .set(bearer(jws(HEADER, fresh)))
        .expect(200);
    });
  });

  describe.each([
    ['access token on GET /api/users/me', 'access'],
    ['refresh token on POST /api/auth/refresh', 'refresh'],
  ] as const)('%s', (_title, kind) => {
    // Own user per kind: a wrongly accepted refresh token would rotate or revoke the session.
    let own: RegisteredUser;
    let ownClaims: Json;
    beforeAll(async () => {
      own = await createUser(t.http);
      ownClaims = decodeSegment(kind === 'access' ? own.accessToken : own.refreshToken, 1);
    });
    const base = () => ownClaims;
    const rejects = (token: string) =>
      kind === 'access' ? rejectsAccess(token) : rejectsRefresh(token);

    describe('algorithm', () => {
      it.each(['none', 'None', 'NONE'])('alg %s, unsigned', (alg) =>
        rejects(`${segment({ alg, typ: 'JWT' })}.${segment(base())}.`),
      );

      it('alg none with the original signature kept', () => {
        const [, payload, signature] = jws(HEADER, base()).split('.');
        return rejects(`${segment({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`);
      });

      it.each([
        ['HS384', 'sha384'],
        ['HS512', 'sha512'],
      ] as const)('%s signed with the real secret (algorithm is pinned)', (alg, hash) =>
        rejects(jws({ alg, typ: 'JWT' }, base(), hmac(hash, SECRET))),
      );

      it('RS256 signed with an attacker key', () => rejects(rs256(base())));

      it('ES256 signed with an attacker key', () =>
        rejects(
          jws({ alg: 'ES256', typ: 'JWT' }, base(), (input) =>
            cryptoSign('sha256', Buffer.from(input), {
              key: ec.privateKey,
              dsaEncoding: 'ieee-p1363',
            }),
          ),
        ));

      it('PS256 signed with an attacker key', () =>
        rejects(
          jws({ alg: 'PS256', typ: 'JWT' }, base(), (input) =>
            cryptoSign('sha256', Buffer.from(input), {
              key: attacker.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 32,
            }),
          ),
        ));

      it('HS256 keyed with a public key PEM (algorithm confusion)', () => {
        // RS256: the service's own public key, with its kid, as the HMAC secret.
        const pem = servicePublicPem ?? attacker.publicKey.export({ type: 'spki', format: 'pem' });
        return rejects(jws({ ...HEADER, alg: 'HS256' }, base(), hmac('sha256', pem)));
      });

      it('HS256 signed with JWT_SECRET_KEY (only the managed keys sign in RS256 mode)', async () => {
        if (mode === 'HS256') return; // that is the genuine token there
        await rejects(jws(HS256_HEADER, base(), hmac('sha256', SECRET)));
      });

      it('duplicate alg header, the last one "none"', () =>
        rejects(jws({ raw: '{"alg":"HS256","typ":"JWT","alg":"none"}' }, base())));
    });

    describe('signature', () => {
      it('signature stripped, trailing dot kept', () =>
        rejects(jws(HEADER, base()).split('.').slice(0, 2).join('.') + '.'));

      it('signature stripped, two segments', () =>
        rejects(jws(HEADER, base()).split('.').slice(0, 2).join('.')));

      it('signature truncated', () => rejects(jws(HEADER, base()).slice(0, -6)));

      it('signature bit-flipped', () => {
        const [h, p, s] = jws(HEADER, base()).split('.');
        const bytes = Buffer.from(s, 'base64url');
        bytes[0] ^= 0x01;
        return rejects(`${h}.${p}.${b64u(bytes)}`);
      });

      it('signature of another payload', () => {
        const [h, p] = jws(HEADER, base()).split('.');
        const [, , other] = jws(HEADER, claims(base(), { jti: randomUUID() })).split('.');
        return rejects(`${h}.${p}.${other}`);
      });
    });

    describe('key-carrying headers are ignored, nothing is fetched', () => {
      it('embedded jwk with the attacker public key', () =>
        rejects(rs256(base(), { jwk: attacker.publicKey.export({ format: 'jwk' }) })));

      it('jku pointing at an attacker key server', async () => {
        await rejects(rs256(base(), { jku: `${keyServerUrl}/jwks.json` }));
        await rejects(
          jws({ ...HEADER, jku: `${keyServerUrl}/jwks.json` }, base(), hmac('sha256', 'k')),
        );
        expect(keyServerHits).toBe(0);
      });

      it('x5u pointing at an attacker server', async () => {
        await rejects(rs256(base(), { x5u: `${keyServerUrl}/cert.pem` }));
        expect(keyServerHits).toBe(0);
      });

      it('x5c with the attacker public key', () =>
        rejects(
          rs256(base(), {
            x5c: [attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
          }),
        ));
    });

    describe('hostile kid', () => {
      it('kid path traversal to /dev/null, signed with an empty key', () =>
        rejects(jws({ ...HEADER, kid: '../../../../../../dev/null' }, base(), hmac('sha256', ''))));

      it('kid SQL injection, signed with the injected key', () =>
        rejects(
          jws(
            { ...HEADER, kid: "x' UNION SELECT 'attacker-key' --" },
            base(),
            hmac('sha256', 'attacker-key'),
          ),
        ));

      it('kid of 2000 characters', () =>
        rejects(jws({ ...HEADER, kid: 'k'.repeat(2000) }, base(), hmac('sha256', 'k'))));

      // A genuine signature under a kid that is not the signing key's.
      it.each([
        ['missing', undefined],
        ['unknown', 'unknown-kid'],
        ['path traversal', '../../../../etc/passwd'],
        ['SQL injection', "x' OR '1'='1"],
        ['a number', 7],
        ['an object', { $ne: null }],
      ])('genuinely signed, kid %s', async (_name, kid) => {
        if (mode === 'HS256') return; // HS tokens carry no kid; covered above
        await rejects(jws(claims(HEADER, { kid }), base()));
      });
    });

    describe('header', () => {
      it('unknown crit extension, otherwise valid', () =>
        rejects(jws({ ...HEADER, crit: ['x-unknown'], 'x-unknown': true }, base())));

      it('crit that is not an array, otherwise valid', () =>
        rejects(jws({ ...HEADER, crit: 'exp' }, base())));
    });

    describe('time claims', () => {
      it('exp missing', () => rejects(jws(HEADER, claims(base(), { exp: undefined }))));
      it('exp as a string', () =>
        rejects(jws(HEADER, claims(base(), { exp: String(now() + 600) }))));
      it('exp null', () => rejects(jws(HEADER, claims(base(), { exp: null }))));
      it('exp past the 5 s leeway', () =>
        rejects(jws(HEADER, claims(base(), { exp: now() - 10 }))));
      it('nbf in the future', () => rejects(jws(HEADER, claims(base(), { nbf: now() + 60 }))));
    });

    describe('issuer and audience', () => {
      it('iss wrong', () => rejects(jws(HEADER, claims(base(), { iss: 'https://evil.example' }))));
      it('iss missing', () => rejects(jws(HEADER, claims(base(), { iss: undefined }))));
      it('aud wrong', () => rejects(jws(HEADER, claims(base(), { aud: 'another-api' }))));
      it('aud missing', () => rejects(jws(HEADER, claims(base(), { aud: undefined }))));
    });

    describe('subject and session claims', () => {
      it('type missing', () => rejects(jws(HEADER, claims(base(), { type: undefined }))));
      it('type in another case', () =>
        rejects(jws(HEADER, claims(base(), { type: String(base().type).toUpperCase() }))));
      it('sid not a UUID', () => rejects(jws(HEADER, claims(base(), { sid: 'not-a-uuid' }))));
      it('sid with SQL', () => rejects(jws(HEADER, claims(base(), { sid: "' OR '1'='1" }))));
      it('sub not a UUID', () => rejects(jws(HEADER, claims(base(), { sub: '../admin' }))));
      it('sub a number', () => rejects(jws(HEADER, claims(base(), { sub: 1 }))));
      it('sid of a session that never existed', () =>
        rejects(jws(HEADER, claims(base(), { sid: randomUUID() }))));
      it('sub of another user than the session owner', () =>
        rejects(jws(HEADER, claims(base(), { sub: randomUUID() }))));
    });

    describe('malformed', () => {
      it.each([
        ['one segment', 'abc'],
        ['four segments', 'a.b.c.d'],
        ['empty segments', '..'],
        ['header not base64url', '!!!.e30.e30'],
        ['header not JSON', `${b64u('not json')}.e30.e30`],
      ])('%s', (_name, token) => rejects(token));

      it('payload not JSON, validly signed', () => rejects(jws(HEADER, { raw: '{"sub":' })));

      it('segments re-encoded as padded standard base64', () => {
        const token = jws(HEADER, base());
        const padded = token
          .split('.')
          .map((s) => Buffer.from(s, 'base64url').toString('base64'))
          .join('.');
        expect(padded).not.toBe(token);
        return rejects(padded);
      });
    });

    describe('payload not an object', () => {
      it.each([
        ['array', [base()]],
        ['number', 42],
        ['string', 'claims'],
        ['null', null],
        ['boolean', true],
      ])('%s, validly signed', (_name, payload) =>
        rejects(jws(HEADER, { raw: JSON.stringify(payload) })),
      );
    });

    describe('duplicate JSON keys', () => {
      it('type duplicated, the last one of the other kind', () => {
        const other = kind === 'access' ? 'refresh' : 'access';
        return rejects(jws(HEADER, rawPayload(base(), `"type":"${other}"`)));
      });

      it('exp duplicated, the last one expired', () =>
        rejects(jws(HEADER, rawPayload(base(), `"exp":${now() - 60}`))));

      it('sid duplicated, the last one unknown', () =>
        rejects(jws(HEADER, rawPayload(base(), `"sid":"${randomUUID()}"`))));
    });

    describe('__proto__ claims', () => {
      it('type only inside __proto__', () =>
        rejects(jws(HEADER, rawPayload(base(), `"__proto__":{"type":"${kind}"}`, ['type']))));

      it('sub and sid only inside __proto__', () =>
        rejects(
          jws(
            HEADER,
            rawPayload(
              base(),
              `"__proto__":{"sub":"${String(base().sub)}","sid":"${String(base().sid)}"}`,
              ['sub', 'sid'],
            ),
          ),
        ));

      it('constructor.prototype claims do not pollute Object.prototype', async () => {
        await rejects(
          jws(
            HEADER,
            rawPayload(base(), `"constructor":{"prototype":{"type":"${kind}"}}`, ['type']),
          ),
        );
        expect(({} as Json).type).toBeUndefined();
      });
    });

    // Runs last: every rejection above was for the forged property, not a session killed on the way.
    it('the genuine token is still accepted after all the attacks', async () => {
      if (kind === 'access') {
        await t.http.get('/api/users/me').set(bearer(own.accessToken)).expect(200);
      } else {
        await t.http
          .post('/api/auth/refresh')
          .send({ refresh_token: own.refreshToken })
          .expect(200);
      }
    });
  });

  describe('type confusion', () => {
    it('the issued refresh token is refused as an access token', () =>
      rejectsAccess(user.refreshToken));

    it('the issued access token is refused on /refresh', () => rejectsRefresh(user.accessToken));
  });

  describe('user and session state', () => {
    it("a deactivated user's tokens are refused", async () => {
      const victim = await createUser(t.http);
      await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
      await t.app
        .get(DataSource)
        .query('UPDATE users SET is_active = false WHERE id = $1', [victim.id]);
      await rejectsAccess(victim.accessToken);
      await rejectsRefresh(victim.refreshToken);
    });

    it('tokens of a deleted session are refused', async () => {
      const victim = await createUser(t.http);
      await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
      const { sid } = decodeSegment(victim.accessToken, 1);
      await t.app.get(DataSource).query('DELETE FROM user_sessions WHERE id = $1', [sid]);
      await rejectsAccess(victim.accessToken);
      await rejectsRefresh(victim.refreshToken);
    });

    it('tokens of a deleted user are refused', async () => {
      const victim = await createUser(t.http);
      const ds = t.app.get(DataSource);
      await ds.transaction(async (manager) => {
        await manager.query('DELETE FROM audit_logs WHERE user_id = $1', [victim.id]);
        await manager.query('DELETE FROM user_sessions WHERE user_id = $1', [victim.id]);
        await manager.query('DELETE FROM users WHERE id = $1', [victim.id]);
      });
      await rejectsAccess(victim.accessToken);
      await rejectsRefresh(victim.refreshToken);
    });
  });

  describe('oversized tokens', () => {
    const padded = (bytes: number) =>
      jws(HEADER, claims(access, { pad: 'x'.repeat(bytes) })).slice(0, bytes);

    it('8 kB token, validly signed apart from its size → fast 401', async () => {
      const token = jws(HEADER, claims(access, { pad: 'x'.repeat(6000) }));
      expect(token.length).toBeGreaterThan(8000);
      await rejectsAccess(token);
    });

    it('8 kB token on /refresh → 400 or 401, never accepted', async () => {
      const token = jws(HEADER, claims(refresh, { pad: 'x'.repeat(6000) }));
      const res = await t.http.post('/api/auth/refresh').send({ refresh_token: token });
      expect([400, 401]).toContain(res.status);
      expectErrorEnvelope(res.body, res.status === 400 ? 'VALIDATION_ERROR' : 'INVALID_TOKEN');
    });

    it.each([
      ['16 kB', 16 * 1024],
      ['1 MB', 1024 * 1024],
    ])('%s token → fast 401 or 431', async (_name, bytes) => {
      const started = performance.now();
      // Above Node's 16 KiB header limit the parser refuses the request before any route runs.
      const res: { status: number; body?: unknown } = await t.http
        .get('/api/users/me')
        .set(bearer(padded(bytes)))
        .then(
          (r) => r,
          (err: { response?: { status: number } }) => err.response ?? { status: -1 },
        );
      expect([401, 431]).toContain(res.status);
      expectErrorEnvelope(
        res.body,
        res.status === 401 ? 'UNAUTHORIZED' : 'REQUEST_HEADER_FIELDS_TOO_LARGE',
      );
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('the genuine token is still accepted after the oversized ones', () =>
      t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200));
  });
});
