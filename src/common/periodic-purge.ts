import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

const INTERVAL_MS = 10 * 60 * 1000;

export interface PurgeOptions {
  /** Rows ended less than this long ago are kept. */
  graceSeconds: number;
  batchSize: number;
  maxBatches: number;
}

/**
 * Deletes ended rows on a timer, a bounded number per run (`maxBatches` × `batchSize`); never
 * two runs at once, never throws (the next run retries).
 */
export abstract class PeriodicPurge implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  /** What the rows are, for the log ("ended sessions"). */
  protected abstract readonly rows: string;
  protected abstract readonly defaults: PurgeOptions;
  /** Deletes at most `limit` rows ended more than `graceSeconds` ago; returns how many. */
  protected abstract purgeEnded(graceSeconds: number, limit: number): Promise<number>;

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  /** Returns how many rows were deleted. */
  async runOnce(overrides: Partial<PurgeOptions> = {}): Promise<number> {
    if (this.running) return 0;
    const { graceSeconds, batchSize, maxBatches } = { ...this.defaults, ...overrides };
    this.running = true;
    let deleted = 0;
    try {
      for (let batch = 0; batch < maxBatches; batch++) {
        const count = await this.purgeEnded(graceSeconds, batchSize);
        deleted += count;
        if (count < batchSize) break;
      }
      if (deleted > 0) this.logger.log(`deleted ${deleted} ${this.rows}`);
    } catch (err) {
      this.logger.warn(`purge of ${this.rows} failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return deleted;
  }
}
