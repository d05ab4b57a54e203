// A resource server that trusts Perfect21 access tokens without sharing any secret:
// it verifies them with the public keys the auth service publishes (JWKS), using `jose`.
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const JWKS_URL = process.env.JWKS_URL ?? 'http://localhost:3000/.well-known/jwks.json';
const ISSUER = process.env.JWT_ISSUER ?? 'perfect21-auth';
const AUDIENCE = process.env.JWT_AUDIENCE ?? 'perfect21-api';
const PORT = Number(process.env.PORT ?? 4000);
// How long a fetched key set is trusted: a revoked signing key is still accepted here for at
// most this long (introspection, POST /api/auth/introspect, sees revocations at once).
const JWKS_MAX_AGE_SECONDS = Number(process.env.JWKS_MAX_AGE_SECONDS ?? 300);

// Fetched on first use, refetched when stale or when a token names an unknown kid.
const keys = createRemoteJWKSet(new URL(JWKS_URL), {
  cacheMaxAge: JWKS_MAX_AGE_SECONDS * 1000,
  cooldownDuration: 1000,
});

/** The token's claims, or null. Only the asymmetric algorithms: never trust an HS token here. */
async function authenticate(request) {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) return null;
  try {
    const { payload } = await jwtVerify(match[1], keys, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clockTolerance: 5,
    });
    // Refresh tokens are signed by the same keys; only access tokens open this API.
    return payload.type === 'access' ? payload : null;
  } catch {
    return null;
  }
}

const send = (response, status, body) => {
  response.writeHead(status, {
    'Content-Type': 'application/json',
    ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
  });
  response.end(JSON.stringify(body));
};

const server = createServer(async (request, response) => {
  if (request.method !== 'GET' || request.url !== '/hello') {
    return send(response, 404, { error: { code: 'NOT_FOUND', message: 'Route not found' } });
  }
  const claims = await authenticate(request);
  if (!claims) {
    return send(response, 401, { error: { code: 'UNAUTHORIZED', message: 'Invalid token' } });
  }
  send(response, 200, { hello: claims.sub, role: claims.role, session: claims.sid });
});

server.listen(PORT, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${port}`, jwks: JWKS_URL }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
