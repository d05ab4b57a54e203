import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

const IDLE_SWEEP_MS = 100;

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
