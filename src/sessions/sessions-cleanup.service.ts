import { Injectable } from '@nestjs/common';
import { PeriodicPurge } from '../common/periodic-purge';
import { SessionsRepository } from './sessions.repository';

/** Deletes expired and revoked sessions on a timer. */
@Injectable()
export class SessionsCleanupService extends PeriodicPurge {
  protected readonly rows = 'ended sessions';
  // Ended sessions stay a day, so a late refresh still finds (and reports) them.
  protected readonly defaults = { graceSeconds: 24 * 60 * 60, batchSize: 1000, maxBatches: 10 };

  constructor(private readonly sessions: SessionsRepository) {
    super();
  }

  protected purgeEnded(graceSeconds: number, limit: number) {
    return this.sessions.purgeEnded(graceSeconds, limit);
  }
}
