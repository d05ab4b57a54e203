import { DynamicModule, Module, Type } from '@nestjs/common';
import { ClockModule } from '../common/clock.module';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../metrics/metrics.module';
import { StoreModule } from '../store/store.module';

/** What every CLI command runs on (configuration, database, Redis), without the HTTP side. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, features: Type[]): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        DatabaseModule.forRoot(config, { retry: false }),
        StoreModule,
        MetricsModule,
        ...features,
      ],
    };
  }
}
