import { loadConfig } from '../../src/config/app-config';
import { LockoutService } from '../../src/credentials/lockout.service';
import { MemoryKvStore } from '../../src/store/memory-kv-store';

describe(LockoutService.name, () => {
  const config = loadConfig({ LOCKOUT_MAX_ATTEMPTS: '3', LOCKOUT_DURATION_SECONDS: '60' });
  let store: MemoryKvStore;
  let sut: LockoutService;

  beforeEach(() => {
    store = new MemoryKvStore();
    sut = new LockoutService(store, config);
  });
  afterEach(() => store.onModuleDestroy());

  it('reserves numbered attempts up to the maximum, then refuses without counting', async () => {
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await sut.reserveAttempt('a@example.com'));
    expect(verdicts).toEqual([
      { allowed: true, attempt: 1 },
      { allowed: true, attempt: 2 },
      { allowed: true, attempt: 3 },
      { allowed: false },
      { allowed: false },
    ]);
  });

  it('a parallel burst never gets more than the maximum number of attempts', async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, () => sut.reserveAttempt('burst@example.com')),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
  });

  it('only the failure of the last allowed attempt locks, once', async () => {
    await expect(sut.recordFailure('b@example.com', 2)).resolves.toBe(false);
    await expect(sut.recordFailure('b@example.com', 3)).resolves.toBe(true);
    await expect(sut.recordFailure('b@example.com', 3)).resolves.toBe(false);
    await expect(sut.reserveAttempt('b@example.com')).resolves.toEqual({ allowed: false });
  });

  it('clear() forgets the count and the lock; other emails are unaffected', async () => {
    for (let i = 0; i < 3; i++) await sut.reserveAttempt('c@example.com');
    await sut.recordFailure('c@example.com', 3);
    await sut.reserveAttempt('d@example.com');
    await sut.clear('c@example.com');
    await expect(sut.reserveAttempt('c@example.com')).resolves.toEqual({
      allowed: true,
      attempt: 1,
    });
    await expect(sut.reserveAttempt('d@example.com')).resolves.toEqual({
      allowed: true,
      attempt: 2,
    });
  });
});
