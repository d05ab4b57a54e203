import { Injectable } from '@nestjs/common';
import { PeriodicPurge } from '../common/periodic-purge';
import { DeviceTokensRepository } from './device-tokens.repository';

/** Deletes expired and revoked device tokens on a timer. */
@Injectable()
export class DeviceTokensCleanupService extends PeriodicPurge {
  protected readonly rows = 'ended device tokens';
  // Ended tokens stay a day, so the audit trail's device ids still point at rows for a while.
  protected readonly defaults = { graceSeconds: 24 * 60 * 60, batchSize: 1000, maxBatches: 10 };

  constructor(private readonly tokens: DeviceTokensRepository) {
    super();
  }

  protected purgeEnded(graceSeconds: number, limit: number) {
    return this.tokens.purgeEnded(graceSeconds, limit);
  }
}
