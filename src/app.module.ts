import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ClockModule } from './common/clock.module';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AccountRecoveryModule } from './account-recovery/account-recovery.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { RolesGuard } from './auth/roles.guard';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { loggerOptions, logsRequests } from './common/logger-options';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CryptoModule } from './crypto/crypto.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { MetricsModule } from './metrics/metrics.module';
import { SessionsModule } from './sessions/sessions.module';
import { StoreModule } from './store/store.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        LoggerModule.forRoot({
          pinoHttp: loggerOptions(config),
          // Request lines are logged at info: above it, skip the per-request middleware entirely.
          forRoutes: logsRequests(config.logLevel)
            ? [{ path: '*splat', method: RequestMethod.ALL }]
            : [],
        }),
        DatabaseModule.forRoot(config),
        StoreModule,
        CryptoModule,
        UsersModule,
        SessionsModule,
        AuthModule,
        AccountRecoveryModule,
        AuditModule,
        HealthModule,
        RateLimitModule,
        MetricsModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
    };
  }
}
