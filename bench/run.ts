import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import * as bcrypt from 'bcrypt';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { load, loginLoad, meRequests, RefreshTokenPool } from './scenarios';
import { Child, freePort, RssSampler, rssMb, startChild, waitReady } from './server';
import { createBenchStorage, Seeder, SeededSession } from './storage';
import {
  evaluateTargets,
  formatTable,
  formatTargets,
  RunFacts,
  ScenarioStats,
  summaryLine,
} from './summary';

const PASSWORD = 'Bench-Password-1!';
const BCRYPT_ROUNDS = 12;
const ROOT = join(__dirname, '..', '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
/**
 * Logins in flight: four per libuv pool thread, so that requests busy with their database
 * and Redis steps never leave a bcrypt thread idle.
 */
const LOGIN_CONNECTIONS = 4 * Number(process.env.UV_THREADPOOL_SIZE ?? 4);

interface Plan {
  seconds: number;
  warmupSeconds: number;
  loginSeconds: number;
  rounds: number;
  users: number;
  connections: number;
  twoProcesses: boolean;
}

const QUICK: Plan = {
  seconds: 3,
  warmupSeconds: 1,
  loginSeconds: 6,
  rounds: 1,
  users: 300,
  connections: 50,
  twoProcesses: false,
};

const FULL: Plan = {
  seconds: 15,
  warmupSeconds: 3,
  loginSeconds: 20,
  rounds: 3,
  users: 2000,
  connections: 50,
  twoProcesses: true,
};

const log = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keep in step with docker/Dockerfile and package.json's start:prod. */
const PRODUCTION_NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=256';

async function main() {
  const args = new Set(process.argv.slice(2));
  const quick = args.has('--quick');
  const plan = quick ? QUICK : FULL;
  const cores = availableParallelism();
  const startedAt = new Date();
  const loadBefore = loadavg().map((v) => Math.round(v * 100) / 100);
  log(
    `bench (${quick ? 'quick' : 'full'}): ${cores} cores, ${Math.round(totalmem() / 2 ** 30)} GB, ` +
      `node ${process.version}, load ${loadBefore.join(' ')}`,
  );

  const storage = await createBenchStorage(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  );
  const children: Child[] = [];
  const samplers: RssSampler[] = [];
  const scenarios: Record<string, ScenarioStats> = {};
  const rssAfterRounds: number[] = [];
  const roundsDetail: Record<string, ScenarioStats[]> = { floor: [], me: [], refresh: [] };
  let liveDuringLogin: ScenarioStats | undefined;

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: storage.databaseUrl,
    REDIS_URL: storage.redisUrl,
    REDIS_KEY_PREFIX: storage.redisPrefix,
    JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
    RATE_LIMIT_REGISTER: '1000000/3600',
    RATE_LIMIT_LOGIN: '1000000/3600',
    RATE_LIMIT_REFRESH: '1000000/3600',
    LOCKOUT_MAX_ATTEMPTS: '1000',
    MIGRATIONS_RUN: 'true',
    ADMIN_EMAIL: '',
    ADMIN_PASSWORD: '',
  };
  // The heap sizing production runs with (docker/Dockerfile, npm run start:prod); override to compare.
  serviceEnv.NODE_OPTIONS = process.env.BENCH_SERVICE_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS;
  const profileDir = join(tmpdir(), 'perfect21-bench-profiles');
  const profileArgs = args.has('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profileArgs.length > 0) log(`service CPU profiles go to ${profileDir}`);

  const startService = async (name: string) => {
    const port = await freePort();
    const child = startChild(
      name,
      join(ROOT, 'dist', 'src', 'main.js'),
      { ...serviceEnv, PORT: String(port) },
      profileArgs,
    );
    children.push(child);
    await waitReady(child, `http://127.0.0.1:${port}/health/ready`);
    samplers.push(new RssSampler(child.pid));
    return { child, url: `http://127.0.0.1:${port}` };
  };

  const measure = async (
    name: string,
    run: (seconds: number) => Promise<ScenarioStats>,
    seconds = plan.seconds,
  ) => {
    await run(plan.warmupSeconds);
    const stats = await run(seconds);
    log(
      `  ${name.padEnd(14)} ${stats.rps.toFixed(1).padStart(9)} req/s  p50 ${stats.p50_ms} ms  ` +
        `p99 ${stats.p99_ms} ms  errors ${stats.errors}`,
    );
    return stats;
  };

  try {
    const service = await startService('service');
    const db = new Client({ connectionString: storage.databaseUrl });
    await db.connect();
    let meSessions: SeededSession[];
    let refreshPool: RefreshTokenPool;
    let emails: string[];
    try {
      const hash = await bcrypt.hash(PASSWORD, BCRYPT_ROUNDS);
      const seeder = new Seeder(db, loadConfig(serviceEnv));
      const users = await seeder.users(plan.users, hash, String(process.pid));
      emails = users.map((u) => u.email);
      meSessions = await seeder.sessions(users);
      // Each measured or warm-up refresh run can strand one token per connection.
      const spare = plan.connections * (plan.rounds * 2 + 4);
      const refreshSessions = await seeder.sessions(users.slice(0, Math.min(users.length, spare)));
      refreshPool = new RefreshTokenPool(refreshSessions.map((s) => s.refreshToken));
    } finally {
      await db.end();
    }
    log(`seeded ${emails.length} users, ${meSessions.length + refreshPool.size} sessions`);

    const helloPort = await freePort();
    const hello = startChild('hello', join(__dirname, 'hello-app.js'), {
      ...process.env,
      PORT: String(helloPort),
    });
    children.push(hello);
    const helloUrl = `http://127.0.0.1:${helloPort}`;
    await waitReady(hello, `${helloUrl}/hello`);
    scenarios.hello = await measure('hello', (s) =>
      load({ url: `${helloUrl}/hello`, seconds: s, connections: plan.connections }),
    );
    await hello.stop();

    const floorPort = await freePort();
    const floor = startChild('floor', join(__dirname, 'floor-app.js'), {
      ...process.env,
      PORT: String(floorPort),
      DATABASE_URL: storage.databaseUrl,
      REDIS_URL: storage.redisUrl,
      REDIS_KEY_PREFIX: storage.redisPrefix,
    });
    children.push(floor);
    const floorUrl = `http://127.0.0.1:${floorPort}/floor`;
    await waitReady(floor, floorUrl);
    scenarios.live = await measure('live', (s) =>
      load({ url: `${service.url}/health/live`, seconds: s, connections: plan.connections }),
    );

    for (let round = 1; round <= plan.rounds; round++) {
      if (plan.rounds > 1) log(` round ${round}/${plan.rounds}`);
      // floor and me side by side in every round, so that a ratio sees the same machine load
      roundsDetail.floor.push(
        await measure('floor', (s) =>
          load({ url: floorUrl, seconds: s, connections: plan.connections }),
        ),
      );
      roundsDetail.me.push(
        await measure('me', (s) =>
          load({
            url: service.url,
            seconds: s,
            connections: plan.connections,
            requests: meRequests(meSessions),
          }),
        ),
      );
      roundsDetail.refresh.push(
        await measure('refresh', (s) =>
          load({
            url: service.url,
            seconds: s,
            connections: plan.connections,
            requests: refreshPool.requests(),
          }),
        ),
      );
      await sleep(1000);
      rssAfterRounds.push(rssMb(service.child.pid));
      log(`  service RSS after round ${round}: ${rssAfterRounds.at(-1)?.toFixed(1)} MB`);
    }
    await floor.stop();
    scenarios.floor = median(roundsDetail.floor);
    scenarios.me = median(roundsDetail.me);
    scenarios.refresh = median(roundsDetail.refresh);

    if (plan.twoProcesses) {
      const second = await startService('service-2');
      const half = Math.ceil(plan.connections / 2);
      scenarios.me_2proc = await measure('me_2proc', async (s) =>
        combine(
          await Promise.all(
            [service.url, second.url].map((url) =>
              load({ url, seconds: s, connections: half, requests: meRequests(meSessions) }),
            ),
          ),
        ),
      );
      await second.child.stop();
    }

    // In the full run the ceiling is taken before and after login and averaged (load drifts).
    const bcryptRuns: ScenarioStats[] = [];
    const loginWarmup = Math.max(2, plan.warmupSeconds);
    if (plan.rounds > 1) bcryptRuns.push(await bcryptCeiling(loginWarmup, plan.loginSeconds));
    const [login, live] = await Promise.all([
      loginLoad({
        url: service.url,
        emails,
        password: PASSWORD,
        connections: LOGIN_CONNECTIONS,
        warmupSeconds: loginWarmup,
        seconds: plan.loginSeconds,
      }),
      (async () => {
        await sleep(loginWarmup * 1000);
        return load({
          url: `${service.url}/health/live`,
          seconds: plan.loginSeconds,
          connections: 1,
          overallRate: 20,
        });
      })(),
    ]);
    scenarios.login = login;
    liveDuringLogin = live;
    log(
      `  ${'login'.padEnd(14)} ${login.rps.toFixed(1).padStart(9)} req/s  p50 ${login.p50_ms} ms  ` +
        `p99 ${login.p99_ms} ms  errors ${login.errors}`,
    );
    log(`  live during login: p50 ${live.p50_ms} ms  p99 ${live.p99_ms} ms  errors ${live.errors}`);

    bcryptRuns.push(await bcryptCeiling(loginWarmup, plan.loginSeconds));
    scenarios.bcrypt = mean(bcryptRuns);
    log(
      `  ${'bcrypt'.padEnd(14)} ${scenarios.bcrypt.rps.toFixed(1).padStart(9)} compares/s  ` +
        `p50 ${scenarios.bcrypt.p50_ms} ms  p99 ${scenarios.bcrypt.p99_ms} ms`,
    );
  } finally {
    samplers.forEach((s) => s.stop());
    await Promise.all(children.map((c) => c.stop()));
    await storage.drop();
  }

  const facts: RunFacts = {
    cores,
    scenarios,
    liveDuringLogin,
    rssMb: Math.max(0, ...samplers.map((s) => s.peakMb)),
    rssAfterRoundsMb: rssAfterRounds,
  };
  const targets = evaluateTargets(facts);
  const line = summaryLine(facts, targets, {
    mode: quick ? 'quick' : 'full',
    date: startedAt.toISOString(),
    node: process.version,
    uv_threadpool_size: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    service_node_options: serviceEnv.NODE_OPTIONS ?? null,
    load_avg_before: loadBefore,
    load_avg_after: loadavg().map((v) => Math.round(v * 100) / 100),
  });

  log();
  formatTable(scenarios).forEach((l) => log(l));
  log();
  formatTargets(targets).forEach((l) => log(l));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(
    RESULTS_DIR,
    `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`,
  );
  writeFileSync(
    file,
    `${JSON.stringify({ ...line, rounds: roundsDetail, live_during_login: liveDuringLogin }, null, 2)}\n`,
  );
  log(`results: ${file}`);
  log(JSON.stringify(line));
}

function median(runs: ScenarioStats[]): ScenarioStats {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function mean(runs: ScenarioStats[]): ScenarioStats {
  const avg = (pick: (r: ScenarioStats) => number) =>
    runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  return {
    rps: avg((r) => r.rps),
    p50_ms: Math.round(avg((r) => r.p50_ms)),
    p99_ms: Math.round(avg((r) => r.p99_ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
  };
}

function combine(runs: ScenarioStats[]): ScenarioStats {
  return {
    rps: runs.reduce((sum, r) => sum + r.rps, 0),
    p50_ms: Math.max(...runs.map((r) => r.p50_ms)),
    p99_ms: Math.max(...runs.map((r) => r.p99_ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
  };
}

/** The machine's bcrypt ceiling, in a child with the service's thread pool size. */
async function bcryptCeiling(warmupSeconds: number, seconds: number): Promise<ScenarioStats> {
  const child = startChild('bcrypt', join(__dirname, 'bcrypt-ceiling.js'), {
    ...process.env,
    BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
    BENCH_SECONDS: String(seconds),
    BENCH_WARMUP_SECONDS: String(warmupSeconds),
  });
  await new Promise<void>((resolve) => child.proc.once('exit', () => resolve()));
  const last = child.output().trim().split('\n').at(-1) ?? '';
  if (child.proc.exitCode !== 0) throw new Error(`bcrypt ceiling failed:\n${child.output()}`);
  const parsed = JSON.parse(last) as { rps: number; p50_ms: number; p99_ms: number; count: number };
  return {
    rps: parsed.rps,
    p50_ms: parsed.p50_ms,
    p99_ms: parsed.p99_ms,
    errors: 0,
    requests: parsed.count,
  };
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
