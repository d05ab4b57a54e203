import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const IDLE_SWEEP_MS = 100;
const draining = new WeakSet<FastifyInstance>();

const isReadinessProbe = (url: string) =>
  url === '/health' || url.startsWith('/health?') || url.startsWith('/health/ready');

/**
 * While the app drains: readiness answers 503 (so Kubernetes takes the pod out of the
 * Service), and every response closes its connection (so proxies stop reusing it), while
 * requests are still served normally.
 */
export function installDrainHooks(fastify: FastifyInstance) {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (!draining.has(fastify)) return done();
    reply.header('Connection', 'close');
    if (!isReadinessProbe(request.url)) return done();
    const shutdown = { status: 'down', message: 'shutting down' };
    reply
      .status(503)
      .send({ status: 'error', info: {}, error: { shutdown }, details: { shutdown } });
  });
}

/**
 * SIGTERM: turn unready and keep serving for `drainSeconds` (the time the load balancer needs
 * to notice and stop sending), then stop accepting, finish in-flight requests, and close.
 */
export async function shutdownGracefully(app: INestApplication, drainSeconds: number) {
  draining.add(app.getHttpAdapter().getInstance() as FastifyInstance);
  if (drainSeconds > 0) await new Promise((r) => setTimeout(r, drainSeconds * 1000));
  await drainAndClose(app);
}

/**
 * Stops accepting connections and waits for in-flight requests (Fastify's close), and only
 * then closes the modules: the database and Redis connections those requests still use.
 * Keep-alive connections that turn idle after their last response are closed as they do,
 * instead of holding the server open until their keep-alive timeout.
 */
export async function drainAndClose(app: INestApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const server = app.getHttpServer() as Server;
  const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  try {
    await fastify.close();
  } finally {
    clearInterval(sweeper);
  }
  await app.close();
}
