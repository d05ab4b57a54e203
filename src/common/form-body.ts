import type { FastifyInstance } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';

/**
 * `application/x-www-form-urlencoded` bodies, for the routes that must take them (OAuth-style
 * endpoints such as RFC 7662 introspection); everywhere else they stay 415 as before. The
 * instance's body limit applies. A repeated field becomes an array, which validation refuses.
 */
export function acceptFormBodies(fastify: FastifyInstance, paths: string[]) {
  const allowed = new Set(paths);
  fastify.addContentTypeParser(FORM, { parseAs: 'string' }, (request, body, done) => {
    if (!allowed.has(request.routeOptions.url ?? '')) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    const params = new URLSearchParams(body as string);
    const fields: Record<string, string | string[]> = {};
    for (const name of new Set(params.keys())) {
      const values = params.getAll(name);
      fields[name] = values.length === 1 ? values[0] : values;
    }
    done(null, fields);
  });
}
