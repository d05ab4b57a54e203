import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { createUser, login, RegisteredUser } from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

/**
 * Property-based fuzzing of every operation in the app's own OpenAPI document: valid-ish and
 * hostile bodies, query strings, path parameters and credentials. Quick by default; set
 * FUZZ_RUNS (total requests, e.g. `npm run fuzz`) for a long run and FUZZ_SEED to replay one.
 */

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 400);
// The quick profile (npm test) is reproducible; the long one explores a new seed each run.
const SEED = Number(
  process.env.FUZZ_SEED ?? (process.env.FUZZ_RUNS ? Date.now() % 2 ** 31 : 20261125),
);
const MAX_MS = 2000;
const ADMIN = { email: 'fuzz-admin@example.com', password: 'Fz7#kQ2$wR9m-admin' };

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; schema?: Schema };
type Operation = { method: string; path: string; parameters: Parameter[]; body?: Schema };
type OpenApi = {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>>;
  components?: { schemas?: Record<string, Schema> };
};

type Auth = 'none' | 'user' | 'admin' | 'garbage';
type Body =
  { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; type: string; text: string };
interface FuzzRequest {
  path: string;
  query: string;
  body: Body;
  auth: Auth;
  garbageToken: string;
}

const NASTY_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202e\u0041',
  '../../../../etc/passwd',
  '%00',
  '%',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9'.repeat(400),
  '😀'.repeat(100),
  'a'.repeat(10_000),
  'x'.repeat(150_000),
  'null',
  'true',
  '[]',
  '{}',
  '2024-02-30T25:61:00Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '+1',
  'user@',
  '@example.com',
  'A@X.IO ',
];

const nasty = fc.constantFrom(...NASTY_STRINGS);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  nasty,
);
// A placeholder, expanded into `[[[...]]]` only on the wire: fast-check cannot print it nested.
const DEEP = /"\\u0001deep:(\d+)"/g;
const deepNesting = fc.integer({ min: 20, max: 3000 }).map((depth) => `\u0001deep:${depth}`);
const toJson = (value: unknown) =>
  JSON.stringify(value).replace(
    DEEP,
    (_m, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)),
  );

/** URL-encodes anything (lone surrogates become U+FFFD), or passes raw escapes through. */
const RAW_ESCAPES = ['%ED%A0%80', '%C0%AF', '%FF', '%2e%2e%2f', '%252e', '%00', '%'];
const enc = (v: string) =>
  RAW_ESCAPES.includes(v) ? v : encodeURIComponent(v.replace(/[\ud800-\udfff]/gu, '\ufffd'));
const urlText = fc.oneof(
  { arbitrary: text, weight: 5 },
  { arbitrary: fc.constantFrom(...RAW_ESCAPES), weight: 1 },
);

/** Anything JSON can carry, weighted towards what breaks validators. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: text, weight: 4 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.constantFrom(null, true, false, 0, -1, 2 ** 53, 1e308), weight: 1 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 2, maxKeys: 3 }), weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
);

function resolve(schema: Schema | undefined, doc: OpenApi): Schema {
  if (!schema) return {};
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    return resolve(doc.components?.schemas?.[name], doc);
  }
  const alternatives = schema.allOf ?? schema.oneOf ?? schema.anyOf;
  if (alternatives?.length)
    return { ...resolve(alternatives[0], doc), ...schema, allOf: undefined };
  return schema;
}

const strongPassword = fc
  .tuple(fc.string({ minLength: 4, maxLength: 20 }), fc.constantFrom('Aa1!', 'Zz9@', 'Qq5$'))
  .map(([s, tail]) => `${s}${tail}`);

/** A value the schema describes (mostly valid), by type, format and name. */
function validish(schema: Schema, doc: OpenApi, name = '', depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validish(s.items ?? {}, doc, name, depth + 1), { maxLength: 3 });
    case 'object':
      if (!s.properties || depth > 3)
        return fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }));
      return objectOf(s, doc, depth + 1);
    default:
      if (s.format === 'email' || /email/i.test(name)) {
        return fc.oneof(
          fc.emailAddress(),
          fc.string({ maxLength: 10 }).map((l) => `${l}@x.io`),
        );
      }
      if (s.format === 'uuid' || /(^|_)id$/.test(name)) return fc.uuid();
      if (s.format === 'date-time' || /^(from|to)$/.test(name)) {
        return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      }
      if (/password/i.test(name)) return strongPassword;
      if (/phone/i.test(name)) return fc.constantFrom('+14155550100', '+447911123456', '+1');
      return fc.string({ maxLength: s.maxLength ?? 60 });
  }
}

/** An object from the schema's properties: each valid-ish, junk or absent, sometimes extra keys. */
function objectOf(schema: Schema, doc: OpenApi, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {}).map(([key, prop]) =>
    fc
      .oneof(
        { arbitrary: validish(prop, doc, key, depth).map((v) => ({ v })), weight: 5 },
        { arbitrary: junk.map((v) => ({ v })), weight: 2 },
        { arbitrary: fc.constant(undefined), weight: 1 },
      )
      .map((cell) => [key, cell] as const),
  );
  const extra = fc.oneof(
    { arbitrary: fc.constant({}), weight: 4 },
    { arbitrary: fc.dictionary(fc.oneof(fc.string(), nasty), junk, { maxKeys: 2 }), weight: 1 },
  );
  return fc.tuple(fc.tuple(...entries), extra).map(([cells, more]) => {
    const out: Record<string, unknown> = { ...more };
    for (const [key, cell] of cells) if (cell) out[key] = cell.v;
    return out;
  });
}

const RAW_BODIES = [
  '{',
  '{"email": ',
  '{"a":1,}',
  'nul',
  '\u0000',
  '[]]',
  '['.repeat(50_000),
  '{"__proto__":{"role":"admin"}}',
  '{"constructor":{"prototype":{"role":"admin"}}}',
];

function bodyFor(op: Operation, doc: OpenApi): fc.Arbitrary<Body> {
  const json = (value: fc.Arbitrary<unknown>) =>
    value.map((v): Body => ({ kind: 'json', value: v }));
  const hostile = fc.oneof(
    json(junk),
    fc
      .constantFrom(...RAW_BODIES)
      .map((t): Body => ({ kind: 'raw', type: 'application/json', text: t })),
    fc.constantFrom<Body>(
      { kind: 'raw', type: 'text/plain', text: 'hello' },
      { kind: 'raw', type: 'application/x-www-form-urlencoded', text: 'email=a%40b.io&password=x' },
      { kind: 'raw', type: 'application/xml', text: '<a/>' },
    ),
    fc.constant<Body>({ kind: 'none' }),
  );
  if (!op.body) {
    return fc.oneof(
      { arbitrary: fc.constant<Body>({ kind: 'none' }), weight: 6 },
      { arbitrary: hostile, weight: 1 },
    );
  }
  return fc.oneof(
    { arbitrary: json(objectOf(resolve(op.body, doc), doc)), weight: 6 },
    { arbitrary: hostile, weight: 2 },
  );
}

function queryFor(op: Operation, doc: OpenApi): fc.Arbitrary<string> {
  const known = op.parameters.filter((p) => p.in === 'query');
  const pairs = known.map((p) =>
    fc.oneof(
      { arbitrary: fc.constant<string[]>([]), weight: 2 },
      {
        arbitrary: validish(p.schema ?? {}, doc, p.name).map((v) => [
          `${p.name}=${encodeURIComponent(String(v))}`,
        ]),
        weight: 3,
      },
      { arbitrary: urlText.map((v) => [`${p.name}=${enc(v)}`]), weight: 2 },
      // Repeated parameters arrive as arrays.
      { arbitrary: fc.constant([`${p.name}=1`, `${p.name}=2`]), weight: 1 },
      { arbitrary: fc.constant([`${p.name}`, `${p.name}[]=x`]), weight: 1 },
    ),
  );
  const unknown = fc.oneof(
    { arbitrary: fc.constant<string[]>([]), weight: 4 },
    { arbitrary: fc.constantFrom(['__proto__[role]=admin'], ['unknown=1'], ['%zz=1']), weight: 1 },
  );
  return fc.tuple(fc.tuple(...pairs), unknown).map(([ps, extra]) => {
    const all = [...ps.flat(), ...extra];
    return all.length ? `?${all.join('&')}` : '';
  });
}

describe('fuzzing from the OpenAPI document', () => {
  let t: TestApp;
  let ds: DataSource;
  let doc: OpenApi;
  let operations: Operation[];
  let user: RegisteredUser;
  let adminToken: string;
  const ids: string[] = [];

  async function resetIdentities() {
    user = await createUser(t.http);
    adminToken = (await login(t.http, ADMIN.email, ADMIN.password)).accessToken;
    const [me] = await ds.query<Array<{ id: string }>>('SELECT id FROM users WHERE email = $1', [
      ADMIN.email,
    ]);
    const sessions = await ds.query<Array<{ id: string }>>(
      'SELECT id FROM user_sessions WHERE user_id = $1 LIMIT 1',
      [user.id],
    );
    ids.splice(0, ids.length, user.id, me.id, ...sessions.map((s) => s.id));
  }

  /** Rejected requests must not write: users byte for byte, sessions by count. */
  async function snapshot() {
    const [u] = await ds.query<Array<{ n: number; h: string }>>(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(u::text, '|' ORDER BY u.id)), '') AS h FROM users u`,
    );
    const [s] = await ds.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM user_sessions',
    );
    return { users: u.n, usersHash: u.h, sessions: s.n };
  }

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
    ds = t.app.get(DataSource);
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApi;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method,
          path,
          parameters: op.parameters ?? [],
          body: (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
            ?.content?.['application/json']?.schema,
        })),
    );
    await resetIdentities();
  });
  afterAll(() => t?.close());

  function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const segment = fc.oneof(
      { arbitrary: fc.uuid(), weight: 2 },
      { arbitrary: fc.nat({ max: 2 }).map((i) => `@id${i}`), weight: 2 },
      { arbitrary: urlText.filter((s) => s.length > 0 && s.length < 300), weight: 3 },
    );
    const path = fc
      .tuple(...pathParams.map(() => segment))
      .map((values) =>
        pathParams.reduce(
          (acc, p, i) =>
            acc.replace(`{${p.name}}`, values[i].startsWith('@id') ? values[i] : enc(values[i])),
          op.path,
        ),
      );
    return fc.record({
      path,
      query: queryFor(op, doc),
      body: bodyFor(op, doc),
      auth: fc.constantFrom<Auth>('none', 'user', 'user', 'admin', 'admin', 'garbage'),
      garbageToken: fc.stringMatching(/^[\x21-\x7e]{0,200}$/),
    });
  }

  async function send(op: Operation, req: FuzzRequest) {
    const path = req.path.replace(/@id(\d)/g, (_m, i: string) => ids[Number(i)] ?? ids[0]);
    const call = (t.http as unknown as Record<string, (url: string) => import('supertest').Test>)[
      op.method
    ](path + req.query);
    const token = {
      none: '',
      user: user.accessToken,
      admin: adminToken,
      garbage: req.garbageToken,
    }[req.auth];
    if (req.auth !== 'none') call.set('Authorization', `Bearer ${token}`);
    if (req.body.kind === 'json')
      call.set('Content-Type', 'application/json').send(toJson(req.body.value));
    if (req.body.kind === 'raw') call.set('Content-Type', req.body.type).send(req.body.text);
    return call;
  }

  it(
    'every documented route answers generated requests: no 5xx, the envelope, < 2 s, no write on rejection',
    async () => {
      const routes = operations.map((op) => `${op.method.toUpperCase()} ${op.path}`);
      // The fuzzer must see the contract's routes, or it proves nothing.
      for (const route of [
        'POST /api/auth/register',
        'POST /api/auth/login',
        'POST /api/auth/refresh',
        'POST /api/auth/change-password',
        'GET /api/users/me',
        'PATCH /api/users/me',
        'GET /api/sessions',
        'DELETE /api/sessions/{id}',
        'GET /health',
      ]) {
        expect(routes).toContain(route);
      }
      const runsPerRoute = Math.max(10, Math.ceil(TOTAL_RUNS / operations.length));
      const statuses: Record<string, number> = {};

      for (const [index, op] of operations.entries()) {
        const route = `${op.method.toUpperCase()} ${op.path}`;
        await fc
          .assert(
            fc.asyncProperty(requestFor(op), async (req) => {
              const before = await snapshot();
              const started = performance.now();
              const res = await send(op, req);
              const elapsed = performance.now() - started;
              statuses[res.status] = (statuses[res.status] ?? 0) + 1;
              const context = `${route} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;

              expect({
                context,
                serverError: res.status >= 500 && !op.path.startsWith('/health'),
              }).toEqual({
                context,
                serverError: false,
              });
              expect({ context, elapsed: elapsed < MAX_MS }).toEqual({ context, elapsed: true });
              const isDocs = op.path.startsWith('/docs');
              const isHealth = op.path.startsWith('/health');
              if (res.status >= 400 && !isDocs && !(isHealth && res.status === 503)) {
                const body = res.body as { error?: Record<string, unknown> };
                expect({ context, keys: Object.keys(body ?? {}) }).toEqual({
                  context,
                  keys: ['error'],
                });
                expect(typeof body.error?.code).toBe('string');
                expect(typeof body.error?.message).toBe('string');
                for (const key of Object.keys(body.error ?? {})) {
                  expect(['code', 'message', 'details', 'retry_after']).toContain(key);
                }
                expect({ context, state: await snapshot() }).toEqual({ context, state: before });
              }
              if (res.status < 300 && op.method !== 'get') await resetIdentities();
            }),
            { seed: SEED + index, numRuns: runsPerRoute, endOnFailure: true },
          )
          .catch((err: Error) => {
            err.message = `FUZZ_SEED=${SEED} (route ${route}, fast-check seed ${SEED + index})\n${err.message}`;
            throw err;
          });
      }
      if (process.env.FUZZ_RUNS) {
        console.log(
          `fuzz: seed ${SEED}, ${operations.length} routes × ${runsPerRoute} runs`,
          statuses,
        );
      }
      // Generated inputs must reach past validation too, not only bounce off it.
      expect(Object.keys(statuses).some((s) => Number(s) < 300)).toBe(true);
      expect(statuses['400']).toBeGreaterThan(0);
    },
    30 * 60 * 1000,
  );

  describe('prototype pollution', () => {
    const polluted = () => ({}) as Record<string, unknown>;

    it('a body carrying __proto__ or constructor.prototype is refused and pollutes nothing', async () => {
      for (const body of [
        '{"__proto__":{"polluted":true},"email":"p@x.io","password":"Xk9#mP2$vL7q"}',
        '{"constructor":{"prototype":{"polluted":true}},"email":"p@x.io","password":"Xk9#mP2$vL7q"}',
      ]) {
        const res = await t.http
          .post('/api/auth/register')
          .set('Content-Type', 'application/json')
          .send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(Object.keys(res.body as object)).toEqual(['error']);
      }
      expect(polluted().polluted).toBeUndefined();
    });

    it('preferences cannot smuggle a prototype into the stored user', async () => {
      const res = await t.http
        .patch('/api/users/me')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('Content-Type', 'application/json')
        .send('{"preferences":{"__proto__":{"role":"admin"},"theme":"dark"}}');
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object)).toEqual(['error']);
      const me = await t.http
        .get('/api/users/me')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(me.body).toMatchObject({ role: 'user' });
      expect(polluted().role).toBeUndefined();
    });
  });
});
