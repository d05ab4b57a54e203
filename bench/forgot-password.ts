import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import * as bcrypt from 'bcrypt';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { freePort, startChild, waitReady } from './server';
import { createBenchStorage, Seeder } from './storage';
import { serviceEnv } from './service-env';

/**
 * Does POST /api/auth/forgot-password take as long for a registered address as for an
 * unknown one? Sequential requests (no queueing), known and unknown alternating so both
 * see the same machine load, against the production build on PostgreSQL + Redis. Every
 * known address is used once, so each known request is one that queues a mail.
 *
 *   npm run bench:forgot [-- --samples 400]
 */
const ROOT = join(__dirname, '..', '..');
const log = (line = '') => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    mean_ms: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

async function timedPost(url: string, email: string) {
  const started = process.hrtime.bigint();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 202) throw new Error(`forgot-password answered ${res.status}: ${body}`);
  return { ms, body };
}

async function main() {
  const argv = process.argv.slice(2);
  const samplesArg = argv.indexOf('--samples');
  const samples = samplesArg >= 0 ? Number(argv[samplesArg + 1]) : 300;
  const warmup = 50;
  log(
    `forgot-password timing: ${samples} known + ${samples} unknown, ${availableParallelism()} cores, ` +
      `load ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
  );
  const storage = await createBenchStorage(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  );
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...serviceEnv(storage),
    LOG_LEVEL: 'error',
    PORT: String(port),
    RATE_LIMIT_EMAIL: '1000000/3600',
    SMTP_URL: '', // production without SMTP: mails wait in the outbox, no sender competes
  };
  const service = startChild('service', join(ROOT, 'dist', 'src', 'main.js'), env);
  try {
    await waitReady(service, `http://127.0.0.1:${port}/health/ready`);
    const db = new Client({ connectionString: storage.databaseUrl });
    await db.connect();
    const users = await new Seeder(db, loadConfig(env)).users(
      samples + warmup,
      await bcrypt.hash(randomBytes(12).toString('hex'), 4), // never verified here
      String(process.pid),
    );
    await db.end();
    const url = `http://127.0.0.1:${port}/api/auth/forgot-password`;
    const unknown = () => `nobody-${randomBytes(6).toString('hex')}@bench.test`;

    for (const user of users.slice(0, warmup)) {
      await timedPost(url, user.email);
      await timedPost(url, unknown());
    }
    const known: number[] = [];
    const missing: number[] = [];
    const bodies = new Set<string>();
    for (const [i, user] of users.slice(warmup).entries()) {
      // Alternate which goes first, so neither always follows the other.
      let first: Awaited<ReturnType<typeof timedPost>>;
      let second: Awaited<ReturnType<typeof timedPost>>;
      if (i % 2 === 0) {
        first = await timedPost(url, user.email);
        second = await timedPost(url, unknown());
      } else {
        second = await timedPost(url, unknown());
        first = await timedPost(url, user.email);
      }
      const pair = [first, second] as const;
      known.push(pair[0].ms);
      missing.push(pair[1].ms);
      bodies.add(pair[0].body).add(pair[1].body);
    }
    const k = summary(known);
    const u = summary(missing);
    log(
      `  known    p50 ${k.p50_ms} ms  p90 ${k.p90_ms} ms  p99 ${k.p99_ms} ms  mean ${k.mean_ms} ms`,
    );
    log(
      `  unknown  p50 ${u.p50_ms} ms  p90 ${u.p90_ms} ms  p99 ${u.p99_ms} ms  mean ${u.mean_ms} ms`,
    );
    log(
      `  median difference ${(k.p50_ms - u.p50_ms).toFixed(3)} ms; distinct bodies: ${bodies.size}`,
    );
    const queued = new Client({ connectionString: storage.databaseUrl });
    await queued.connect();
    const { rows } = await queued.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM mail_outbox`,
    );
    await queued.end();
    log(`  outbox rows: ${rows[0].n} (one per known address)`);
  } finally {
    await service.stop();
    await storage.drop();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
