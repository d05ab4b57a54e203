import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pruneChain, sealPending } from './audit-chain.repository';

const DAY_MS = 86_400_000;
const FIRST_RUN_MS = 30_000;
const EVERY_MS = 3_600_000;

/** AUDIT_RETENTION_DAYS: hourly, deletes older rows behind a chain checkpoint. Unset: keep all. */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditRetention');
  private startup?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap() {
    if (!this.config.auditRetentionDays) return;
    // First run shortly after start-up, then hourly; never two at once.
    this.startup = setTimeout(() => this.tick(), FIRST_RUN_MS).unref();
    this.timer = setInterval(() => this.tick(), EVERY_MS).unref();
  }

  private tick() {
    this.running ??= this.pruneExpired()
      .catch((err: Error) => this.logger.error(`audit pruning failed: ${err.message}`))
      .finally(() => (this.running = undefined));
  }

  async onModuleDestroy() {
    clearTimeout(this.startup);
    clearInterval(this.timer);
    await this.running;
  }

  /** Prunes rows older than the retention period as of `now`; returns how many. */
  async pruneExpired(now = new Date()): Promise<number> {
    const days = this.config.auditRetentionDays;
    if (!days) return 0;
    await sealPending(this.dataSource); // only sealed rows can be pruned behind a checkpoint
    const pruned = await pruneChain(this.dataSource, new Date(now.getTime() - days * DAY_MS));
    if (pruned > 0) this.logger.log({ msg: 'audit_pruned', rows: pruned, retention_days: days });
    return pruned;
  }
}
