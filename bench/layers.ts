import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { commitFacts, machineFacts, resultsFileStem } from './facts';
import { applyPatches, variants } from './layers-patches';
import { load, meRequests } from './scenarios';
import { Child, freePort, startChild, waitReady } from './server';
import { serviceEnv } from './service-env';
import { createBenchStorage, Seeder } from './storage';
import { ScenarioStats, summarise } from './summary';

/**
 * `npm run bench:layers [-- --quick]`: `GET /api/users/me` on the service with each layer of
 * its request pipeline taken out in turn (see layers-patches.ts), all variants running side
 * by side and measured round-robin, so that every variant sees the same machine load.
 * `--only=-audit,-metrics` measures just those variants (and the full service); `--only=` the
 * full service alone; `--profile` writes each variant's CPU profile (bench/profile-summary.ts).
 * Writes bench/results/<date>-<commit>-layers.json for `npm run bench:readme`.
 */
const ROOT = join(__dirname, '..', '..');
const PROFILE_DIR = join(tmpdir(), 'perfect21-layers-profiles');
const log = (line = '') => process.stdout.write(`${line}\n`);

/** A copy of the sources with the layer switches patched in, compiled with the project's tsc. */
function buildScratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perfect21-layers-'));
  for (const entry of [
    'src',
    'migrations',
    'bench',
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
  ]) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const patched = applyPatches((file) => readFileSync(join(ROOT, file), 'utf8'));
  for (const [file, text] of patched) writeFileSync(join(dir, file), text);
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--noCheck',
    ],
    {
      cwd: dir,
      stdio: 'inherit',
    },
  );
  // What nest-cli.json's `assets` copies in a real build.
  cpSync(join(dir, 'src', 'mail', 'templates'), join(dir, 'dist', 'src', 'mail', 'templates'), {
    recursive: true,
  });
  return dir;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const profile = process.argv.includes('--profile');
  if (profile) log(`CPU profiles go to ${PROFILE_DIR}/<variant>/`);
  const plan = quick
    ? { runs: 1, seconds: 3, warmupSeconds: 1, connections: 50, users: 300 }
    : { runs: 3, seconds: 10, warmupSeconds: 2, connections: 50, users: 2000 };
  const seconds = process.argv.find((a) => a.startsWith('--seconds='));
  if (seconds) plan.seconds = Number(seconds.slice('--seconds='.length));
  const startedAt = new Date();
  const machine = machineFacts();
  const code = commitFacts(ROOT);
  log(
    `bench:layers (${quick ? 'quick' : 'full'}): load ${machine.load_avg_before.join(' ')}, commit ${code.commit_short}${code.dirty ? ' (dirty)' : ''}`,
  );
  const scratch = buildScratch();
  log(`scratch build: ${scratch}`);

  const storage = await createBenchStorage(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  );
  const env = serviceEnv(storage);
  const children: Child[] = [];
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const all = variants().filter((v) => v.name === 'full' || !only || only.includes(v.name));
  const measured: Record<string, ScenarioStats[]> = {};
  try {
    const urls: string[] = [];
    for (const variant of all) {
      const port = await freePort();
      const child = startChild(
        variant.name,
        join(scratch, 'dist', 'src', 'main.js'),
        { ...env, ...variant.env, PORT: String(port) },
        profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, variant.name)}`] : [],
      );
      children.push(child);
      await waitReady(child, `http://127.0.0.1:${port}/health/ready`);
      urls.push(`http://127.0.0.1:${port}`);
    }
    // Every variant shares the database and the JWT secret, so one set of tokens serves all.
    const db = new Client({ connectionString: storage.databaseUrl });
    await db.connect();
    const seeder = new Seeder(db, loadConfig(env));
    const sessions = await seeder.sessions(
      await seeder.users(plan.users, 'x', String(process.pid)),
    );
    await db.end();

    for (let round = 1; round <= plan.runs; round++) {
      log(` round ${round}/${plan.runs}`);
      for (const [i, variant] of all.entries()) {
        const run = (seconds: number) =>
          load({
            url: urls[i],
            seconds,
            connections: plan.connections,
            requests: meRequests(sessions),
          });
        await run(plan.warmupSeconds);
        const stats = await run(plan.seconds);
        (measured[variant.name] ??= []).push(stats);
        log(
          `  ${variant.name.padEnd(14)} ${stats.rps.toFixed(1).padStart(9)} req/s  p99 ${stats.p99_ms} ms  errors ${stats.errors}`,
        );
      }
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await storage.drop();
    rmSync(scratch, { recursive: true, force: true });
  }

  const record = {
    kind: 'layers',
    runs: plan.runs,
    date: startedAt.toISOString(),
    commit: code.commit,
    dirty: code.dirty,
    node: process.version,
    machine,
    plan,
    variants: all.map((v) => ({
      name: v.name,
      removes: v.removes,
      me: summarise(measured[v.name]),
    })),
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${resultsFileStem(startedAt, code)}-layers${quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  const full = record.variants[0].me.rps;
  log();
  for (const v of record.variants) {
    const delta = v.name === 'full' ? '' : `${(((v.me.rps - full) / full) * 100).toFixed(1)} %`;
    log(
      `${v.name.padEnd(14)} ${v.me.rps.toFixed(1).padStart(9)} (${v.me.rps_min.toFixed(0)}-${v.me.rps_max.toFixed(0)})  ${delta}`,
    );
  }
  log(`results: ${file}`);
}

main().catch((err: Error) => {
  console.error(`bench:layers failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
