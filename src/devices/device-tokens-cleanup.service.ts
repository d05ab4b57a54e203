import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DeviceTokensRepository } from './device-tokens.repository';

const INTERVAL_MS = 10 * 60 * 1000;
/** Ended tokens stay a day, so the audit trail's device ids still point at rows for a while. */
const GRACE_SECONDS = 24 * 60 * 60;
const BATCH_SIZE = 1000;
const MAX_BATCHES_PER_RUN = 10;

/** Deletes expired and revoked device tokens on a timer, a bounded number of rows per run. */
@Injectable()
export class DeviceTokensCleanupService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DeviceTokensCleanup');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly tokens: DeviceTokensRepository) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  /** Returns how many tokens were deleted; never throws (the next run retries). */
  async runOnce(graceSeconds = GRACE_SECONDS): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        const count = await this.tokens.purgeEnded(graceSeconds, BATCH_SIZE);
        deleted += count;
        if (count < BATCH_SIZE) break;
      }
      if (deleted > 0) this.logger.log(`deleted ${deleted} ended device tokens`);
    } catch (err) {
      this.logger.warn(`device token cleanup failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return deleted;
  }
}
