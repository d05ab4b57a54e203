import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AppConfig, ConfigError } from '../config/app-config';
import { AdminInputError, ensureAdmin } from './ensure-admin';

/** With ADMIN_EMAIL and ADMIN_PASSWORD set, start-up ends with that user an active admin. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap() {
    if (!this.config.admin) return;
    try {
      const result = await ensureAdmin(
        { dataSource: this.dataSource, audit: this.audit, bcryptRounds: this.config.bcryptRounds },
        this.config.admin,
        'bootstrap',
      );
      const outcome = result.created ? 'created' : result.promoted ? 'promoted' : 'already admin';
      this.logger.log(`ADMIN_EMAIL account ${outcome} (user ${result.id})`);
    } catch (err) {
      if (err instanceof AdminInputError) {
        const variable = err.field === 'email' ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD';
        throw new ConfigError(`Invalid configuration:\n  ${variable}: ${err.message}`);
      }
      throw err;
    }
  }
}
