import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/**
 * Stops accepting connections and waits for in-flight requests (Fastify's close), and only
 * then closes the modules: the database and Redis connections those requests still use.
 */
export async function drainAndClose(app: INestApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  await fastify.close();
  await app.close();
}
