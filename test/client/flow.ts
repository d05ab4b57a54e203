/**
 * What a client team writes against the generated types: type-checked with `tsc --strict`
 * and run against the service by generated-client.spec.ts. Not part of `npm run check`:
 * `./generated/openapi` exists only once that test has generated it from /docs-json.
 */
import createClient from 'openapi-fetch';
import type { paths } from './generated/openapi';

type Client = ReturnType<typeof createClient<paths>>;
type LoginResult = Awaited<ReturnType<typeof login>>;
/** Every error code the document says login can answer with. */
export type LoginErrorCode = NonNullable<LoginResult['error']>['error']['code'];

function login(client: Client, email: string, password: string) {
  return client.POST('/api/auth/login', { body: { email, password } });
}

/** Exhaustive: a code added to the document without a case here fails to compile. */
export function explainLoginError(code: LoginErrorCode): string {
  switch (code) {
    case 'VALIDATION_ERROR':
      return 'check the email address and that a password was typed';
    case 'BAD_REQUEST':
    case 'PAYLOAD_TOO_LARGE':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'REQUEST_HEADER_FIELDS_TOO_LARGE':
      return 'this client sent a malformed request';
    case 'INVALID_CREDENTIALS':
      return 'wrong email or password';
    case 'ACCOUNT_LOCKED':
      return 'too many failed attempts: try again later';
    case 'EMAIL_NOT_VERIFIED':
      return 'confirm your email address first (check your inbox)';
    case 'TOO_MANY_REQUESTS':
      return 'slow down: too many attempts from this network';
    case 'INTERNAL_ERROR':
    case 'SERVICE_UNAVAILABLE':
      return 'the service is having trouble: retry shortly';
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled login error ${String(unhandled)}`);
    }
  }
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Register, log in, read /me, refresh, log out; returns what it saw at each step. */
export async function runFlow(baseUrl: string, email: string, password: string) {
  const client = createClient<paths>({ baseUrl });
  const seen: Record<string, unknown> = {};

  const registered = await client.POST('/api/auth/register', {
    body: { email, password, first_name: 'Ada' },
  });
  if (!registered.data) throw new Error(`register: ${registered.response.status}`);
  seen.registeredEmail = registered.data.user.email;

  const wrong = await login(client, email, `${password}x`);
  if (!wrong.error) throw new Error('login with a wrong password succeeded');
  seen.wrongPassword = explainLoginError(wrong.error.error.code);

  const loggedIn = await login(client, email, password);
  if (!loggedIn.data) throw new Error(`login: ${loggedIn.response.status}`);
  // Login answers one of two shapes: the tokens, or a second-factor challenge.
  if ('mfa_required' in loggedIn.data) throw new Error('login: unexpected MFA challenge');
  if (!loggedIn.data.tokens) throw new Error('login: no tokens (email not verified)');
  const { access_token, refresh_token, token_type } = loggedIn.data.tokens;
  seen.tokenType = token_type;

  const me = await client.GET('/api/users/me', { headers: bearer(access_token) });
  if (!me.data) throw new Error(`getMe: ${me.response.status}`);
  seen.meFirstName = me.data.first_name;
  seen.meLoginCount = me.data.login_count;

  const refreshed = await client.POST('/api/auth/refresh', { body: { refresh_token } });
  if (!refreshed.data) throw new Error(`refreshTokens: ${refreshed.response.status}`);
  const access = refreshed.data.tokens.access_token;

  const out = await client.POST('/api/auth/logout', { headers: bearer(access) });
  seen.logoutStatus = out.response.status;

  const after = await client.GET('/api/users/me', { headers: bearer(access) });
  seen.afterLogout = after.error?.error.code;
  return seen;
}
