/**
 * How `npm run bench:layers` takes layers out of the request pipeline: text patches applied
 * to a scratch copy of the sources (never to the tree itself), each wrapping one layer in a
 * switch read from `BENCH_WITHOUT` (comma-separated layer names). The production build
 * reads no such switch. Every `find` must occur exactly once (test/unit/bench-layers.spec.ts
 * checks them against the current sources), so a moved layer fails loudly, not silently.
 */

export interface LayerPatch {
  file: string;
  find: string;
  replace: string;
}

export interface Layer {
  name: string;
  /** What removing it takes away, for the README's table. */
  removes: string;
  patches: LayerPatch[];
}

/** Appended to every patched file. */
export const OFF_HELPER =
  "\nfunction OFF(layer: string) {\n  return (process.env.BENCH_WITHOUT ?? '').split(',').includes(layer);\n}\n";

const APP_MODULE = 'src/app.module.ts';
const APP_FACTORY = 'src/app.factory.ts';

const optionalProvider = (layer: string, provider: string): LayerPatch => ({
  file: APP_MODULE,
  find: `${provider},`,
  replace: `...(OFF('${layer}') ? [] : [${provider}]),`,
});

const guardedStatement = (layer: string, file: string, statement: string): LayerPatch => ({
  file,
  find: statement,
  replace: `if (!OFF('${layer}')) ${statement}`,
});

export const LAYERS: Layer[] = [
  {
    name: 'guards',
    removes: 'the rate-limit and roles guards (global; the JWT guard stays: `me` needs its user)',
    patches: [
      optionalProvider('guards', '{ provide: APP_GUARD, useExisting: RateLimitGuard }'),
      optionalProvider('guards', '{ provide: APP_GUARD, useClass: RolesGuard }'),
    ],
  },
  {
    name: 'metrics',
    removes: 'the HTTP metrics hook (histogram + counter per response)',
    patches: [
      guardedStatement(
        'metrics',
        APP_FACTORY,
        "fastify.addHook('onResponse', httpMetricsHook(app.get(MetricsService)));",
      ),
    ],
  },
  {
    name: 'request-id',
    removes: 'the request id (UUID per request, `X-Request-Id` header)',
    patches: [
      {
        file: APP_FACTORY,
        find: 'const id = requestIdFor(req);',
        replace: "const id = OFF('request-id') ? 'bench' : requestIdFor(req);",
      },
      guardedStatement(
        'request-id',
        APP_FACTORY,
        "reply.header('X-Request-Id', String(request.id));",
      ),
    ],
  },
  {
    name: 'headers',
    removes: 'the security headers (CSP, HSTS, nosniff, …)',
    patches: [guardedStatement('headers', APP_FACTORY, 'reply.headers(API_SECURITY_HEADERS);')],
  },
  {
    name: 'hooks',
    removes: 'the CORS and drain-check hooks',
    patches: [
      guardedStatement('hooks', APP_FACTORY, 'await fastify.register(fastifyCors, {'),
      guardedStatement('hooks', APP_FACTORY, 'installDrainHooks(fastify);'),
    ],
  },
  {
    name: 'revocation-lookup',
    removes:
      'the Redis revocation-list lookup (one round trip; the query also checks the session row)',
    patches: [
      {
        file: 'src/sessions/revocation.service.ts',
        find: '  isRevoked(sessionId: string, kid?: string) {\n',
        replace:
          "  isRevoked(sessionId: string, kid?: string) {\n    if (OFF('revocation-lookup')) return Promise.resolve(false);\n",
      },
    ],
  },
];

export interface Variant {
  name: string;
  removes: string;
  env: Record<string, string>;
}

/** The service as built, each layer taken out on its own, all of them at once, and logging on. */
export function variants(layers: Layer[] = LAYERS): Variant[] {
  return [
    { name: 'full', removes: 'nothing (the service as shipped)', env: {} },
    ...layers.map((l) => ({
      name: `-${l.name}`,
      removes: l.removes,
      env: { BENCH_WITHOUT: l.name },
    })),
    {
      name: '-all',
      removes: 'all of the above at once',
      env: { BENCH_WITHOUT: layers.map((l) => l.name).join(',') },
    },
    {
      name: '+request-log',
      removes: 'nothing; adds one log line per request (`LOG_LEVEL=info`; production runs at warn)',
      env: { LOG_LEVEL: 'info' },
    },
  ];
}

/** Applies every layer's patches to `read(file)` contents; throws on a missing or repeated anchor. */
export function applyPatches(
  read: (file: string) => string,
  layers: Layer[] = LAYERS,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const patch of layers.flatMap((l) => l.patches)) {
    const text = out.get(patch.file) ?? read(patch.file);
    const at = text.indexOf(patch.find);
    if (at < 0) throw new Error(`layer patch: "${patch.find}" not found in ${patch.file}`);
    if (text.indexOf(patch.find, at + 1) >= 0) {
      throw new Error(`layer patch: "${patch.find}" occurs more than once in ${patch.file}`);
    }
    out.set(patch.file, text.slice(0, at) + patch.replace + text.slice(at + patch.find.length));
  }
  for (const [file, text] of out) out.set(file, text + OFF_HELPER);
  return out;
}
