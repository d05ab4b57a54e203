import type { FastifyInstance } from 'fastify';
import { AppError } from './app-error';

/**
 * Stands in for a request body that is not valid JSON. Fastify parses bodies before Nest's
 * guards run; answering there would skip the rate limiter, and the contract counts every
 * request to a limited route. The validation pipe turns it into the 400.
 */
export class MalformedJsonBody {}

export const malformedJson = () => new AppError(400, 'BAD_REQUEST', 'Malformed JSON body');

/** Fastify's own JSON parser (prototype-poisoning checks included), minus the early 400. */
export function deferJsonErrors(fastify: FastifyInstance) {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    parse(request, body as string, (err, value) =>
      done(null, err ? new MalformedJsonBody() : value),
    ),
  );
}
