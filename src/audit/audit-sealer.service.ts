import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sealPending } from './audit-chain.repository';

const SEAL_INTERVAL_MS = 1000;

/**
 * Chains committed audit rows about once a second, off the request path (a lock held by every
 * audited transaction until its commit would serialise all logins and refreshes). Each run logs
 * the chain's new head, so the log stream holds hashes to compare the database against.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditSealer');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.sealNow(), SEAL_INTERVAL_MS).unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.sealNow();
  }

  /** Seals what is committed; concurrent callers share one run. */
  sealNow(): Promise<void> {
    this.running ??= sealPending(this.dataSource)
      .then(({ sealed, seq, hash }) => {
        if (sealed > 0) this.logger.log({ msg: 'audit_chain_sealed', sealed, seq, hash });
      })
      .catch((err: Error) => this.logger.warn(`audit sealing failed: ${err.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
