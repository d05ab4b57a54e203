import * as bcrypt from 'bcrypt';

/**
 * Baseline `bcrypt`: compares per second with the service's libuv thread pool (this child
 * gets the same UV_THREADPOOL_SIZE), enough in flight to keep every pool thread busy.
 * Prints one JSON line: {"rps", "p50_ms", "p99_ms", "count"}.
 */
async function main() {
  const rounds = Number(process.env.BCRYPT_ROUNDS ?? 12);
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const inFlight = poolSize * 2;
  const password = 'Bench-Password-1!';
  const hash = await bcrypt.hash(password, rounds);

  // Like the login scenario: only compares completed after the warm-up count.
  const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 1) * 1000;
  const durations: number[] = [];
  const windowStart = performance.now() + warmup;
  const deadline = windowStart + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt mismatch');
      const t1 = performance.now();
      if (t1 >= windowStart && t1 <= deadline) durations.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  durations.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  console.log(
    JSON.stringify({
      rps: durations.length / seconds,
      p50_ms: at(0.5),
      p99_ms: at(0.99),
      count: durations.length,
    }),
  );
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
