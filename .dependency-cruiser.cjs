/**
 * Who may import whom, folder by folder (docs/ARCHITECTURE.md draws the same map).
 * `npm run check:cycles` fails on any import outside these lists, on a cycle between files,
 * and when the lists themselves would allow a cycle between folders.
 */
const MAY_IMPORT = {
  config: [],
  common: ['config'],
  store: ['config'],
  metrics: ['common', 'config'],
  audit: ['common', 'config', 'metrics'],
  crypto: ['config'],
  credentials: ['common', 'config', 'store'],
  sessions: ['audit', 'common', 'config', 'metrics', 'store'],
  devices: ['common', 'config'],
  users: ['audit', 'common', 'config', 'credentials', 'metrics', 'sessions'],
  mfa: ['audit', 'common', 'config', 'credentials', 'crypto', 'sessions', 'users'],
  'rate-limit': ['audit', 'common', 'config', 'metrics', 'store'],
  mail: ['common', 'config', 'metrics'],
  'email-tokens': ['common', 'config', 'mail', 'users'],
  auth: [
    'audit',
    'common',
    'config',
    'credentials',
    'devices',
    'email-tokens',
    'metrics',
    'mfa',
    'rate-limit',
    'sessions',
    'signing-keys',
    'store',
    'users',
  ],
  'account-recovery': [
    'audit',
    'common',
    'config',
    'credentials',
    'devices',
    'email-tokens',
    'rate-limit',
    'sessions',
    'store',
    'users',
  ],
  'signing-keys': ['audit', 'common', 'config', 'crypto', 'sessions', 'store'],
  health: ['common', 'config', 'store'],
  // The composition layer: the data source lists every entity; the CLIs build contexts.
  database: ['audit', 'config', 'devices', 'email-tokens', 'mail', 'mfa', 'sessions', 'signing-keys', 'users'],
  cli: ['app', 'audit', 'common', 'config', 'crypto', 'database', 'metrics', 'mfa', 'signing-keys', 'store', 'users'],
  // The files directly in src/ (app.module, app.factory, main, ...): they assemble everything.
  app: [
    'account-recovery',
    'audit',
    'auth',
    'common',
    'config',
    'crypto',
    'database',
    'devices',
    'health',
    'metrics',
    'mfa',
    'rate-limit',
    'sessions',
    'store',
    'users',
  ],
};

function assertAcyclic(graph) {
  const state = {};
  const visit = (node, path) => {
    if (state[node] === 'done') return;
    if (state[node] === 'active')
      throw new Error(`MAY_IMPORT allows a cycle: ${[...path, node].join(' -> ')}`);
    state[node] = 'active';
    for (const next of graph[node] ?? []) visit(next, [...path, node]);
    state[node] = 'done';
  };
  Object.keys(graph).forEach((node) => visit(node, []));
}
assertAcyclic(MAY_IMPORT);

const folders = Object.keys(MAY_IMPORT).filter((name) => name !== 'app');
const pathOf = (name) => (name === 'app' ? '^src/[^/]+\\.ts$' : `^src/${name}/`);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file may import itself back through others.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.keys(MAY_IMPORT).map((folder) => ({
      name: `folder-${folder}`,
      severity: 'error',
      comment: `${folder} may import only: ${MAY_IMPORT[folder].join(', ') || 'nothing else in src'}`,
      from: { path: pathOf(folder) },
      to: { path: '^src/', pathNot: [pathOf(folder), ...MAY_IMPORT[folder].map(pathOf)] },
    })),
    {
      name: 'unknown-folder',
      severity: 'error',
      comment: 'A new folder under src/ needs its line in MAY_IMPORT.',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${folders.join('|')})/` },
      to: {},
    },
    {
      name: 'no-controller-to-controller',
      severity: 'error',
      comment: 'Controllers share through services or common/, never through each other.',
      from: { path: '\\.controller\\.ts$' },
      to: { path: '\\.controller\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Type-only imports count: the folder map is about what code knows, not just what runs.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
