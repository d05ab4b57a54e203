const base = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
};

/**
 * Suites that neither time anything nor wait on a clock, a poller or another process: `npm
 * test` and `test:e2e` run them two at a time. Every other suite (latency bounds, outages,
 * restarts under load, grace windows, mail pollers, the deployment test) runs alone after
 * them, so that a neighbour's CPU cannot fail it. A new suite is serial until listed here.
 */
const CONCURRENT = [
  '/test/(unit|deploy|client)/.+\\.spec\\.ts$',
  `/test/e2e/(${[
    'admin',
    'atomic-writes',
    'auth',
    'deploy-probes',
    'device-tokens',
    'foundation',
    'input-unicode',
    'introspection',
    'metrics',
    'mfa',
    'mfa-secrets-key',
    'multi-instance',
    'openapi',
    'prepared-statements',
    'replicas-start',
    'request-pipeline',
    'restart',
    'swagger-ui',
  ].join('|')})\\.e2e\\.spec\\.ts$`,
];

/** @type {import('jest').Config} */
module.exports = {
  // A global option: projects do not take it.
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
  projects: [
    { ...base, displayName: 'concurrent', testRegex: CONCURRENT },
    {
      ...base,
      displayName: 'serial',
      testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...CONCURRENT],
    },
  ],
};
