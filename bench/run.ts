import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as bcrypt from 'bcrypt';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { commitFacts, machineFacts, resultsFileStem } from './facts';
import { load, LoadOptions, loginLoad, meRequests, RefreshTokenPool } from './scenarios';
import { BCRYPT_ROUNDS, serviceEnv as serviceEnvFor } from './service-env';
import { Child, freePort, RssSampler, rssMb, startChild, waitReady } from './server';
import { createBenchStorage, Seeder, SeededSession } from './storage';
import {
  evaluateTargets,
  formatTable,
  formatTargets,
  RunFacts,
  ScenarioStats,
  summarise,
  summaryLine,
} from './summary';

const PASSWORD = 'Bench-Password-1!';
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
  /** Times each scenario is measured; the results carry the median and the spread. */
  runs: number;
  /** Slices `floor` and `me` alternate in within a run (see measureInterleaved). */
  pairSlices: number;
  users: number;
  connections: number;
  twoProcesses: boolean;
}

const QUICK: Plan = {
  seconds: 3,
  warmupSeconds: 1,
  loginSeconds: 6,
  runs: 1,
  pairSlices: 1,
  users: 300,
  connections: 50,
  twoProcesses: false,
};

const FULL: Plan = {
  seconds: 10,
  warmupSeconds: 2,
  loginSeconds: 15,
  runs: 3,
  pairSlices: 5,
  users: 2000,
  connections: 50,
  twoProcesses: true,
};

/** `me` and `refresh` again on a service signing with each of these (its own managed keys). */
const ALGORITHMS = (process.env.BENCH_ALGORITHMS ?? 'EdDSA,ES256')
  .split(',')
  .map((a) => a.trim())
  .filter(Boolean);

const log = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function planFor(args: string[]): Plan {
  const plan = { ...(args.includes('--quick') ? QUICK : FULL) };
  const runs = args.find((a) => a.startsWith('--runs='));
  if (runs) plan.runs = Math.max(1, Number(runs.slice('--runs='.length)));
  return plan;
}

interface Target {
  suffix: string;
  url: string;
  me: SeededSession[];
  refresh: RefreshTokenPool;
}

async function main() {
  const argv = process.argv.slice(2);
  const args = new Set(argv);
  const quick = args.has('--quick');
  const plan = planFor(argv);
  const startedAt = new Date();
  const machine = machineFacts();
  const code = commitFacts(ROOT);
  log(
    `bench (${quick ? 'quick' : 'full'}, ${plan.runs} run(s) per scenario): ${machine.cores} cores, ` +
      `${machine.mem_gb} GB, node ${process.version}, load ${machine.load_avg_before.join(' ')}, ` +
      `commit ${code.commit_short}${code.dirty ? ' (dirty)' : ''}`,
  );
  if (!machine.quiet) {
    log(
      `  warning: load average ${machine.load_avg_before[0]} on ${machine.cores} cores: not quiet`,
    );
  }

  const storage = await createBenchStorage(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  );
  const children: Child[] = [];
  const samplers: RssSampler[] = [];
  const rounds: Record<string, ScenarioStats[]> = {};
  const rssAfterRounds: number[] = [];
  const liveDuringLogin: ScenarioStats[] = [];
  const refreshDuringLogin: ScenarioStats[] = [];

  const serviceEnv = serviceEnvFor(storage);
  const profileDir = join(tmpdir(), 'perfect21-bench-profiles');
  const profileArgs = args.has('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profileArgs.length > 0) log(`service CPU profiles go to ${profileDir}`);

  const startService = async (name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []) => {
    const port = await freePort();
    const child = startChild(
      name,
      join(ROOT, 'dist', 'src', 'main.js'),
      { ...env, PORT: String(port) },
      nodeArgs,
    );
    children.push(child);
    await waitReady(child, `http://127.0.0.1:${port}/health/ready`);
    samplers.push(new RssSampler(child.pid));
    return { child, url: `http://127.0.0.1:${port}` };
  };

  /** One measured run (after its warm-up), kept under `name` in the round-by-round record. */
  const measure = async (name: string, run: (seconds: number) => Promise<ScenarioStats>) => {
    await run(plan.warmupSeconds);
    return keep(name, await run(plan.seconds));
  };

  const keep = (name: string, stats: ScenarioStats, how = '') => {
    (rounds[name] ??= []).push(stats);
    log(
      `  ${name.padEnd(16)} ${stats.rps.toFixed(1).padStart(9)} req/s  p50 ${stats.p50_ms} ms  ` +
        `p99 ${stats.p99_ms} ms  errors ${stats.errors}${how}`,
    );
    return stats;
  };

  /**
   * Two scenarios measured in alternating slices (A B, B A, A B, …) that add up to one run
   * each: this machine's CPU speed swings by up to 2x within a minute (a fixed CPU loop took
   * 400 to 1,170 ms), so a ratio of two back-to-back 10 s runs measured the machine as much
   * as the service. Both warm up once first; a run's rps is the slices' mean.
   */
  const measureInterleaved = async (
    a: [string, (seconds: number) => Promise<ScenarioStats>],
    b: [string, (seconds: number) => Promise<ScenarioStats>],
  ) => {
    const slice = plan.seconds / plan.pairSlices;
    await a[1](plan.warmupSeconds);
    await b[1](plan.warmupSeconds);
    const slices = new Map<string, ScenarioStats[]>([
      [a[0], []],
      [b[0], []],
    ]);
    for (let i = 0; i < plan.pairSlices; i++) {
      for (const [name, run] of i % 2 === 0 ? [a, b] : [b, a]) {
        slices.get(name)!.push(await run(slice));
      }
    }
    for (const [name, measured] of slices) {
      keep(name, mean(measured), `  (${plan.pairSlices} slices, interleaved)`);
    }
  };

  try {
    const service = await startService('service', serviceEnv, profileArgs);
    // Each service creates its own signing key at start-up; the seeder signs with it.
    const variants: { suffix: string; env: NodeJS.ProcessEnv; url: string; child: Child }[] = [];
    for (const algorithm of ALGORITHMS) {
      const env = { ...serviceEnv, JWT_ALGORITHM: algorithm };
      const started = await startService(`service-${algorithm}`, env, profileArgs);
      variants.push({ suffix: `_${algorithm.toLowerCase()}`, env, ...started });
    }

    const db = new Client({ connectionString: storage.databaseUrl });
    await db.connect();
    let emails: string[];
    const targets: Target[] = [];
    // Each measured or warm-up refresh run can strand one token per connection.
    const spare = plan.connections * (plan.runs * 2 + 4);
    try {
      const hash = await bcrypt.hash(PASSWORD, BCRYPT_ROUNDS);
      const users = await new Seeder(db, loadConfig(serviceEnv)).users(
        plan.users,
        hash,
        String(process.pid),
      );
      emails = users.map((u) => u.email);
      for (const { suffix, env, url } of [
        { suffix: '', env: serviceEnv, url: service.url },
        ...variants,
      ]) {
        const seeder = new Seeder(db, loadConfig(env));
        const me = await seeder.sessions(users);
        const refresh = await seeder.sessions(users.slice(0, Math.min(users.length, spare)));
        const pool = new RefreshTokenPool(refresh.map((s) => s.refreshToken));
        targets.push({ suffix, url, me, refresh: pool });
      }
    } finally {
      await db.end();
    }
    log(`seeded ${emails.length} users, sessions for ${targets.length} service(s)`);

    const helloPort = await freePort();
    const hello = startChild('hello', join(__dirname, 'hello-app.js'), {
      ...process.env,
      PORT: String(helloPort),
    });
    children.push(hello);
    const helloUrl = `http://127.0.0.1:${helloPort}`;
    await waitReady(hello, `${helloUrl}/hello`);

    const floorPort = await freePort();
    const floor = startChild('floor', join(__dirname, 'floor-app.js'), {
      ...process.env,
      PORT: String(floorPort),
      DATABASE_URL: storage.databaseUrl,
      REDIS_URL: storage.redisUrl,
      REDIS_KEY_PREFIX: storage.redisPrefix,
    });
    children.push(floor);
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    await waitReady(floor, `${floorUrl}/ready`);

    const primary = targets[0];
    for (let round = 1; round <= plan.runs; round++) {
      if (plan.runs > 1) log(` round ${round}/${plan.runs}`);
      // Every scenario once per round, floor interleaved with me: ratios pair runs that saw
      // the same machine load, and drift over the rounds shows up as spread, not as bias.
      await measure('hello', (s) =>
        load({ url: `${helloUrl}/hello`, seconds: s, connections: plan.connections }),
      );
      await measure('live', (s) =>
        load({ url: `${service.url}/health/live`, seconds: s, connections: plan.connections }),
      );
      const meOn = (target: Target) => (s: number) =>
        load({
          url: target.url,
          seconds: s,
          connections: plan.connections,
          requests: meRequests(target.me),
        });
      await measureInterleaved(
        ['floor', meOn({ ...primary, url: floorUrl })],
        ['me', meOn(primary)],
      );
      for (const target of targets) {
        if (target !== primary) await measure(`me${target.suffix}`, meOn(target));
        await measure(`refresh${target.suffix}`, (s) =>
          load({
            url: target.url,
            seconds: s,
            connections: plan.connections,
            requests: target.refresh.requests(),
          }),
        );
      }
      await sleep(1000);
      rssAfterRounds.push(rssMb(service.child.pid));
      log(`  service RSS after round ${round}: ${rssAfterRounds.at(-1)?.toFixed(1)} MB`);
    }
    await floor.stop();
    await hello.stop();
    for (const variant of variants) await variant.child.stop();

    if (plan.twoProcesses) {
      const second = await startService('service-2', serviceEnv);
      const half = Math.ceil(plan.connections / 2);
      for (let run = 0; run < plan.runs; run++) {
        await measure('me_2proc', async (s) =>
          combine(
            await Promise.all(
              [service.url, second.url].map((url) =>
                load({ url, seconds: s, connections: half, requests: meRequests(primary.me) }),
              ),
            ),
          ),
        );
      }
      await second.child.stop();
    }

    // The bcrypt ceiling is taken before and after each login run (load drifts); each login
    // run is compared with the mean of the two around it.
    const loginWarmup = Math.max(2, plan.warmupSeconds);
    const ceilings: ScenarioStats[] = [];
    if (plan.runs > 1) ceilings.push(await bcryptCeiling(loginWarmup, plan.loginSeconds));
    for (let run = 0; run < plan.runs; run++) {
      // Probes, not loads: the refresh probe's CPU would otherwise come out of login ÷ bcrypt.
      const probe = (requests: Pick<LoadOptions, 'url' | 'requests' | 'overallRate'>) =>
        sleep(loginWarmup * 1000).then(() =>
          load({ ...requests, seconds: plan.loginSeconds, connections: 1 }),
        );
      const [login, live, refreshed] = await Promise.all([
        loginLoad({
          url: service.url,
          emails,
          password: PASSWORD,
          connections: LOGIN_CONNECTIONS,
          warmupSeconds: loginWarmup,
          seconds: plan.loginSeconds,
        }),
        probe({ url: `${service.url}/health/live`, overallRate: 20 }),
        // Token checks must not queue behind bcrypt on the libuv pool.
        probe({ url: service.url, requests: primary.refresh.requests(), overallRate: 5 }),
      ]);
      (rounds.login ??= []).push(login);
      liveDuringLogin.push(live);
      refreshDuringLogin.push(refreshed);
      ceilings.push(await bcryptCeiling(loginWarmup, plan.loginSeconds));
      const ceiling = mean(ceilings.slice(-2));
      (rounds.bcrypt ??= []).push(ceiling);
      log(
        `  ${'login'.padEnd(16)} ${login.rps.toFixed(1).padStart(9)} req/s  p50 ${login.p50_ms} ms  ` +
          `p99 ${login.p99_ms} ms  errors ${login.errors}  (bcrypt ${ceiling.rps.toFixed(1)}/s)`,
      );
      log(
        `  live during login: p50 ${live.p50_ms} ms  p99 ${live.p99_ms} ms  errors ${live.errors}; ` +
          `refresh: p50 ${refreshed.p50_ms} ms  p99 ${refreshed.p99_ms} ms  errors ${refreshed.errors}`,
      );
    }
  } finally {
    samplers.forEach((s) => s.stop());
    await Promise.all(children.map((c) => c.stop()));
    await storage.drop();
  }

  const scenarios = Object.fromEntries(
    Object.entries(rounds).map(([name, runs]) => [name, summarise(runs)]),
  );
  const facts: RunFacts = {
    cores: machine.cores,
    scenarios,
    rounds,
    liveDuringLogin: liveDuringLogin.length > 0 ? summarise(liveDuringLogin) : undefined,
    rssMb: Math.max(0, ...samplers.map((s) => s.peakMb)),
    rssAfterRoundsMb: rssAfterRounds,
  };
  const targets = evaluateTargets(facts);
  const loadAfter = loadavg().map((v) => Math.round(v * 100) / 100);
  const line = summaryLine(facts, targets, {
    mode: quick ? 'quick' : 'full',
    runs: plan.runs,
    date: startedAt.toISOString(),
    commit: code.commit,
    dirty: code.dirty,
    node: process.version,
    uv_threadpool_size: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    service_node_options: serviceEnv.NODE_OPTIONS ?? null,
    load_avg_before: machine.load_avg_before,
    load_avg_after: loadAfter,
    refresh_p99_during_login_ms:
      refreshDuringLogin.length > 0 ? summarise(refreshDuringLogin).p99_ms : null,
  });

  log();
  formatTable(scenarios).forEach((l) => log(l));
  log();
  formatTargets(targets).forEach((l) => log(l));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(
    RESULTS_DIR,
    `${resultsFileStem(startedAt, code)}${quick ? '-quick' : ''}.json`,
  );
  const record = {
    kind: 'bench',
    ...line,
    machine: { ...machine, load_avg_after: loadAfter },
    target_details: targets,
    plan,
    algorithms: ALGORITHMS,
    rounds,
    live_during_login: liveDuringLogin,
    refresh_during_login: refreshDuringLogin,
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  log(`results: ${file}`);
  log(JSON.stringify(line));
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
