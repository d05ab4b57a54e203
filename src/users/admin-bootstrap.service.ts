import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, ConfigError } from '../config/app-config';
import { UserInputError } from './user-input.error';
import { UsersService } from './users.service';

/** With ADMIN_EMAIL and ADMIN_PASSWORD set, start-up ends with that user an active admin. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap() {
    if (!this.config.admin) return;
    try {
      const result = await this.users.create({ ...this.config.admin, asAdminVia: 'bootstrap' });
      const outcome = result.created ? 'created' : result.promoted ? 'promoted' : 'already admin';
      this.logger.log(`ADMIN_EMAIL account ${outcome} (user ${result.user.id})`);
    } catch (err) {
      if (err instanceof UserInputError) {
        const variable = err.field === 'email' ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD';
        throw new ConfigError(`Invalid configuration:\n  ${variable}: ${err.message}`);
      }
      throw err;
    }
  }
}
