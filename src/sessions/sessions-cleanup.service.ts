import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SessionsRepository } from './sessions.repository';

const INTERVAL_MS = 10 * 60 * 1000;
/** Ended sessions stay this long, so a late refresh still finds (and reports) them. */
const GRACE_SECONDS = 24 * 60 * 60;
const BATCH_SIZE = 1000;
const MAX_BATCHES_PER_RUN = 10;

/** Deletes expired and revoked sessions on a timer, a bounded number of rows per run. */
@Injectable()
export class SessionsCleanupService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionsCleanup');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly sessions: SessionsRepository) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  /** Returns how many sessions were deleted; never throws (the next run retries). */
  async runOnce(
    options = {
      graceSeconds: GRACE_SECONDS,
      batchSize: BATCH_SIZE,
      maxBatches: MAX_BATCHES_PER_RUN,
    },
  ): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let deleted = 0;
    try {
      for (let batch = 0; batch < options.maxBatches; batch++) {
        const count = await this.sessions.purgeEnded(options.graceSeconds, options.batchSize);
        deleted += count;
        if (count < options.batchSize) break;
      }
      if (deleted > 0) this.logger.log(`deleted ${deleted} ended sessions`);
    } catch (err) {
      this.logger.warn(`session cleanup failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return deleted;
  }
}
