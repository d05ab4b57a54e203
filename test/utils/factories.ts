import { randomBytes } from 'node:crypto';
import type request from 'supertest';

export const STRONG_PASSWORD = 'Xk9#mP2$vL7q';

export function uniqueEmail(prefix = 'user') {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface RegisteredUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a user through the API and returns its credentials and tokens. */
export async function createUser(
  http: ReturnType<typeof request>,
  overrides: { email?: string; password?: string; first_name?: string } = {},
): Promise<RegisteredUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? STRONG_PASSWORD;
  const res = await http.post('/api/auth/register').send({
    email,
    password,
    ...(overrides.first_name ? { first_name: overrides.first_name } : {}),
  });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    email,
    password,
    accessToken: res.body.tokens.access_token,
    refreshToken: res.body.tokens.refresh_token,
  };
}

export async function login(http: ReturnType<typeof request>, email: string, password: string) {
  const res = await http.post('/api/auth/login').send({ email, password });
  if (res.status !== 200)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    accessToken: res.body.tokens.access_token as string,
    refreshToken: res.body.tokens.refresh_token as string,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Asserts the contract's error envelope: `error` is the only key, with only known keys inside. */
export function expectErrorEnvelope(body: unknown, code: string) {
  const b = body as { error: Record<string, unknown> };
  expect(Object.keys(b)).toEqual(['error']);
  expect(b.error.code).toBe(code);
  expect(typeof b.error.message).toBe('string');
  for (const key of Object.keys(b.error)) {
    expect(['code', 'message', 'details', 'retry_after']).toContain(key);
  }
}
