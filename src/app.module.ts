import { DynamicModule, Global, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { RolesGuard } from './auth/roles.guard';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { loggerOptions, logsRequests } from './common/logger-options';
import { createValidationPipe } from './common/validation';
import { Clock } from './common/clock';
import { AppConfig } from './config/app-config';
import { CryptoModule } from './crypto/crypto.module';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database/data-source-options';
import { runMigrationsExclusively } from './database/run-migrations';
import { HealthModule } from './health/health.module';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { MetricsModule } from './metrics/metrics.module';
import { SessionsModule } from './sessions/sessions.module';
import { StoreModule } from './store/store.module';
import { AdminUsersModule } from './users/admin-users.module';
import { UsersModule } from './users/users.module';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, Clock],
      exports: [AppConfig, Clock],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: loggerOptions(config),
          // Request lines are logged at info: above it, skip the per-request middleware entirely.
          forRoutes: logsRequests(config.logLevel)
            ? [{ path: '*splat', method: RequestMethod.ALL }]
            : [],
        }),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions({ ...config, migrationsRun: false }),
            retryAttempts: 10,
            retryDelay: 3000,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (config.migrationsRun)
              await runMigrationsExclusively(dataSource, !config.databaseUrl);
            return dataSource;
          },
        }),
        StoreModule,
        CryptoModule,
        UsersModule,
        AdminUsersModule,
        SessionsModule,
        AuthModule,
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
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
    };
  }
}
