import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse } from './common/error-response.dto';
import { documentErrorCodes } from './common/openapi-errors';

const SECONDS = { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 } as const;

/** Response headers, referenced from every response they can appear on. */
const HEADERS = {
  'X-Request-Id': {
    description: "The client's own X-Request-Id when it is 1–128 of [A-Za-z0-9._-], else generated",
    schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$', maxLength: 128 },
  },
  'Access-Control-Allow-Origin': {
    description: 'Only when the request’s Origin is listed in CORS_ORIGINS: that origin, never `*`',
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
  'X-RateLimit-Limit': {
    description: 'Requests allowed per window for this client IP (RATE_LIMIT_<ROUTE>)',
    schema: SECONDS,
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window (0 on the 429)',
    schema: SECONDS,
  },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: SECONDS },
} as const;

const EVERY_RESPONSE = ['X-Request-Id', 'Access-Control-Allow-Origin'] as const;
const RATE_LIMITED_RESPONSE = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

export function setupSwagger(app: NestFastifyApplication) {
  const config = new DocumentBuilder()
    .setTitle('Perfect21 Authentication API')
    .setDescription(
      'Register, login, token refresh with rotation, sessions, roles, audit trail. ' +
        'Every error has the shape `{"error": {"code", "message", "details"?, "retry_after"?}}`.',
    )
    .setVersion('0.1.0')
    .addTag('auth', 'Register, login, token rotation, logout, password change')
    .addTag('users', 'Own profile; user administration (admin, moderator)')
    .addTag('sessions', 'Own active sessions')
    .addTag('audit', 'Audit trail and its hash chain (admin)')
    .addTag('health', 'Liveness and readiness probes')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'Paste the `access_token` from the response of **POST /api/auth/register**, ' +
        '**/login** or **/refresh** (open one of them, "Try it out", "Execute", and copy ' +
        '`tokens.access_token`), without the word "Bearer". It lasts ACCESS_TOKEN_TTL_SECONDS ' +
        '(1 hour by default); when it expires, call /refresh with the refresh token and paste ' +
        'the new one. Admin routes need an admin account (ADMIN_EMAIL/ADMIN_PASSWORD). ' +
        'Tokens are verified as RFC8725 (JSON Web Token Best Current Practices) asks.',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponse],
    // Only a route without @ApiOp() falls back to this; the OpenAPI test refuses that.
    operationIdFactory: (_controller, method) => method,
  });
  documentErrorCodes(document);
  documentCommonResponses(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * What holds for every route, added once here rather than on each controller: the 500
 * envelope, the Host check's 400 on /api routes, X-Request-Id and CORS headers on every
 * response, and the X-RateLimit-* headers on every response of the rate-limited routes
 * (those that document a 429), as the contract says.
 */
function documentCommonResponses(document: OpenAPIObject) {
  document.components = { ...document.components, headers: { ...HEADERS } };
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
  const envelope = {
    'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.patch, item.delete]) {
      if (!operation) continue;
      if (path.startsWith('/api/')) {
        operation.responses['400'] ??= {
          description: 'BAD_REQUEST: the Host header is not in ALLOWED_HOSTS',
          content: envelope,
        };
      }
      operation.responses['500'] ??= {
        description: 'INTERNAL_ERROR: never a stack trace, SQL or internal message',
        content: envelope,
      };
      const names =
        '429' in operation.responses
          ? [...EVERY_RESPONSE, ...RATE_LIMITED_RESPONSE]
          : EVERY_RESPONSE;
      for (const response of Object.values(operation.responses)) {
        if (!response || '$ref' in response) continue;
        const headers = { ...response.headers };
        for (const name of names) headers[name] ??= ref(name);
        response.headers = headers;
      }
    }
  }
}
