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

  const durations: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt mismatch');
      if (performance.now() <= deadline) durations.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (Math.min(performance.now(), deadline) - started) / 1000;
  durations.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  console.log(
    JSON.stringify({
      rps: durations.length / elapsed,
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
