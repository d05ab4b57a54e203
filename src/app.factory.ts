import type { IncomingMessage } from 'node:http';
import fastifyCors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppError } from './common/app-error';
import { clientErrorHandler, frameworkErrors } from './common/framework-errors';
import { exposeRouteToLogger, logsRequests } from './common/logger-options';
import { deferJsonErrors } from './common/json-body';
import { acceptFormBodies } from './common/form-body';
import { INTROSPECTION_PATH } from './auth/introspection.controller';
import { requestIdFor } from './common/request-id';
import { AppConfig } from './config/app-config';
import { fastifyTrustProxy } from './config/trust-proxy';
import { httpMetricsHook, MetricsService } from './metrics/metrics.service';
import { installDrainHooks } from './shutdown';
import { setupSwagger } from './swagger';

/**
 * JSON responses: the contract's headers plus a CSP that forbids everything (OWASP REST
 * Security). helmet's document-only headers would add ~400 bytes to every API response.
 */
const API_SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-XSS-Protection': '0',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/** Swagger UI's pages: helmet's full browser set, with a CSP the UI works under. */
const DOCS_SECURITY_HEADERS: HelmetOptions = {
  frameguard: { action: 'deny' },
  hsts: { maxAge: 31536000, includeSubDomains: true, preload: false },
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      // Over plain http (a dev box, a cluster-internal name) the upgrade would fetch every
      // asset over https and leave a blank page; TLS is the proxy's job, HSTS still applies.
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * What Swagger UI's page loads from /docs. @fastify/static serves all of swagger-ui-dist
 * there, including package.json (version disclosure) and source maps: everything else 404s.
 */
const DOCS_PATHS = new Set([
  '/docs',
  '/docs/',
  '/docs-json',
  '/docs-yaml',
  '/docs/swagger-ui.css',
  '/docs/swagger-ui-bundle.js',
  '/docs/swagger-ui-standalone-preset.js',
  '/docs/swagger-ui-init.js',
  '/docs/favicon-16x16.png',
  '/docs/favicon-32x32.png',
]);

const CORS_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'];
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
];

/** Builds the whole application (HTTP adapter, hardening, docs); used by main and by tests. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    trustProxy: fastifyTrustProxy(config.trustProxy),
    bodyLimit: config.bodyLimitBytes,
    // Slow clients (slowloris) must not hold sockets: Node enforces headers/request timeouts
    // on its connection sweep, so it runs often enough for the configured values to hold.
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs / 2),
    },
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.idleTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      (req as typeof req & { id: string }).id = id;
      return id;
    },
    // A request on a connection accepted just before close() is served, not answered with
    // Fastify's own 503 (outside the contract's envelope, and never retried by nginx for a POST).
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false, // Fastify's JSON parser, with errors deferred past the guards (json-body.ts)
  });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  deferJsonErrors(fastify);
  acceptFormBodies(fastify, [INTROSPECTION_PATH]);
  // Registered on Fastify itself rather than through app.enableCors(), whose wrapper copies
  // the CORS headers to the raw response on every request.
  // First among our hooks, so the responses they end carry the CORS headers too.
  await fastify.register(fastifyCors, {
    origin: (origin, callback) => callback(null, !!origin && config.corsOrigins.includes(origin)),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: CORS_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: true,
    maxAge: 600,
  });
  installDrainHooks(fastify);
  if (logsRequests(config.logLevel)) fastify.addHook('onRequest', exposeRouteToLogger);
  fastify.addHook('onResponse', httpMetricsHook(app.get(MetricsService)));
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    reply.header('X-Request-Id', String(request.id));
    if (hostHeaderCount(request) > 1) {
      // RFC 9112 §3.2: a request with more than one Host field line must get a 400.
      reply.status(400).header('Connection', 'close');
      reply.send(new AppError(400, 'BAD_REQUEST', 'More than one Host header').toBody());
      return;
    }
    if (
      config.allowedHosts.length > 0 &&
      !isHostCheckExempt(request.url) &&
      !hostAllowed(request, config)
    ) {
      reply.status(400).send(new AppError(400, 'BAD_REQUEST', 'Host not allowed').toBody());
      return;
    }
    done();
  });
  // helmet's middleware built once: @fastify/helmet rebuilds it (re-parsing the CSP) per request.
  const docsSecurityHeaders = helmet(DOCS_SECURITY_HEADERS);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/docs')) {
      reply.headers(API_SECURITY_HEADERS);
      return done();
    }
    if (!DOCS_PATHS.has(request.url.split('?')[0])) {
      reply.headers(API_SECURITY_HEADERS).status(404);
      reply.send(AppError.notFound('Route not found').toBody());
      return;
    }
    docsSecurityHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined));
  });
  setupSwagger(app);
  return app;
}

/** Probes and scrapers address pods by IP, so the Host check would refuse them. */
function isHostCheckExempt(url: string) {
  return (
    url === '/health' ||
    url.startsWith('/health/') ||
    url.startsWith('/health?') ||
    url === '/metrics' ||
    url.startsWith('/metrics?')
  );
}

function hostHeaderCount(request: FastifyRequest): number {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'host') count++;
  return count;
}

function hostAllowed(request: FastifyRequest, config: AppConfig) {
  const host = (request.headers.host ?? '')
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return config.allowedHosts.includes(host);
}
