import { createUser } from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document read as such
type Schema = Record<string, any>;
interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Array<{ name: string; in: string; schema?: Schema; description?: string }>;
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: Schema }>; description: string }>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** The error codes a response documents (the enum inside the envelope's `error.code`). */
function codesOf(schema: Schema | undefined): string[] | undefined {
  const parts: Schema[] = schema?.properties?.error?.allOf ?? [];
  return parts.find((part) => part.properties?.code)?.properties.code.enum as string[] | undefined;
}

describe('The OpenAPI document, as a generated client reads it', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, Operation>>; components: Schema };
  const operations: Array<[string, string, Operation]> = [];

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http.get('/docs-json').expect(200)).body;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) if (item[method]) operations.push([method, path, item[method]]);
    }
  });
  afterAll(() => t.close());

  it('gives every operation a readable camelCase operationId and a summary (use @ApiOp)', () => {
    const ids = operations.map(([, , op]) => op.operationId);
    for (const [method, path, op] of operations) {
      expect({ route: `${method} ${path}`, id: op.operationId }).toEqual({
        route: `${method} ${path}`,
        id: expect.stringMatching(/^[a-z][A-Za-z0-9]*$/),
      });
      expect({ route: `${method} ${path}`, summary: (op.summary ?? '').length > 0 }).toEqual({
        route: `${method} ${path}`,
        summary: true,
      });
    }
    expect(new Set(ids).size).toBe(ids.length);
    const byRoute = Object.fromEntries(
      operations.map(([m, p, op]) => [`${m} ${p}`, op.operationId]),
    );
    expect(byRoute).toMatchObject({
      'post /api/auth/register': 'register',
      'post /api/auth/login': 'login',
      'post /api/auth/refresh': 'refreshTokens',
      'post /api/auth/logout': 'logout',
      'post /api/auth/logout-all': 'logoutAll',
      'post /api/auth/change-password': 'changePassword',
      'get /api/users/me': 'getMe',
      'patch /api/users/me': 'updateMe',
      'get /api/sessions': 'listSessions',
      'delete /api/sessions/{id}': 'revokeSession',
      'get /api/users': 'listUsers',
      'get /api/users/{id}': 'getUser',
      'patch /api/users/{id}': 'updateUser',
      'post /api/users/{id}/unlock': 'unlockUser',
      'get /api/audit-logs': 'listAuditLogs',
      'get /api/audit-logs/verify': 'verifyAuditChain',
      'get /health/live': 'live',
      'get /health/ready': 'ready',
      'get /health': 'health',
    });
  });

  it('documents an enum of error codes on every error response in the envelope', () => {
    for (const [method, path, op] of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.['application/json']?.schema;
        if (path.startsWith('/health') && status === '503') {
          expect(schema?.$ref).toBe('#/components/schemas/HealthCheckDto');
          continue;
        }
        expect({ route: `${method} ${path} ${status}`, codes: codesOf(schema) }).toEqual({
          route: `${method} ${path} ${status}`,
          codes: expect.arrayContaining([expect.stringMatching(/^[A-Z][A-Z0-9_]*$/)]),
        });
      }
    }
    const login = document.paths['/api/auth/login'].post.responses;
    expect(codesOf(login['401'].content!['application/json'].schema)).toEqual([
      'ACCOUNT_LOCKED',
      'INVALID_CREDENTIALS',
    ]);
    expect(codesOf(login['400'].content!['application/json'].schema)).toEqual([
      'BAD_REQUEST',
      'VALIDATION_ERROR',
    ]);
    const refresh = document.paths['/api/auth/refresh'].post.responses;
    expect(codesOf(refresh['401'].content!['application/json'].schema)).toEqual([
      'INVALID_TOKEN',
      'TOKEN_REUSED',
    ]);
  });

  it('documents 413, 415 and 431 where they are answered', () => {
    const register = document.paths['/api/auth/register'].post.responses;
    for (const status of ['413', '415', '431', '429', '500', '503']) {
      expect(register[status]).toBeDefined();
    }
    expect(document.paths['/api/users/me'].get.responses['431']).toBeDefined();
    expect(document.paths['/api/users/me'].get.responses['413']).toBeUndefined();
  });

  it('types pagination as integers, health bodies, a nullable verify reason and IP addresses', () => {
    const listUsers = document.paths['/api/users'].get.parameters!;
    for (const name of ['page', 'limit']) {
      expect(listUsers.find((p) => p.name === name)?.schema?.type).toBe('integer');
    }
    const schemas = document.components.schemas;
    for (const path of ['/health/live', '/health/ready', '/health']) {
      expect(document.paths[path].get.responses['200'].content!['application/json'].schema).toEqual(
        {
          $ref: '#/components/schemas/HealthCheckDto',
        },
      );
    }
    expect(schemas.HealthCheckDto.properties.status.enum).toEqual(['ok', 'error', 'shutting_down']);
    expect(schemas.AuditVerifyDto.properties.reason.enum).toContain(null);
    for (const dto of ['SessionDto', 'AuditLogDto']) {
      expect(schemas[dto].properties.ip_address.format).toBeUndefined();
    }
  });

  it('does not offer X-Forwarded-For as a request parameter', () => {
    for (const [, , op] of operations) {
      for (const parameter of op.parameters ?? []) {
        expect(parameter.name.toLowerCase()).not.toBe('x-forwarded-for');
      }
    }
  });

  it('explains in the Authorize dialog what to paste and where it comes from', () => {
    const description: string = document.components.securitySchemes.bearer.description;
    expect(description).toMatch(/access_token/);
    expect(description).toMatch(/\/login/);
    expect(description).toMatch(/without the word "Bearer"/);
  });

  it('accepts any UUID as a path id, as the document says (404, not 400)', async () => {
    const { accessToken } = await createUser(t.http);
    const nonRfc = 'a50114fc-b4fd-f112-1040-e0b6ba4f9bf8';
    const res = await t.http
      .delete(`/api/sessions/${nonRfc}`)
      .set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(404);
    const bad = await t.http
      .delete('/api/sessions/not-a-uuid')
      .set('Authorization', `Bearer ${accessToken}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const param = document.paths['/api/sessions/{id}'].delete.parameters!.find(
      (p) => p.name === 'id',
    );
    expect(new RegExp(param!.schema!.pattern).test(nonRfc)).toBe(true);
  });
});
