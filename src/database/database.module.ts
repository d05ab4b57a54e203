import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsExclusively } from './run-migrations';

/**
 * The database connection and ambient transactions: a method marked @Transactional() opens
 * (or joins) a transaction; repositories read it from TransactionHost.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, { retry = true } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions({ ...config, migrationsRun: false }),
            ...(retry ? { retryAttempts: 10, retryDelay: 3000 } : { retryAttempts: 0 }),
          }),
          dataSourceFactory: async (options) => {
            if (config.migrationsRun && config.databaseUrl) {
              // Own connections, with the migrations' longer statement timeout.
              const migrator = await new DataSource(
                dataSourceOptions({ ...config, migrationsRun: false }, 'migrations'),
              ).initialize();
              try {
                await runMigrationsExclusively(migrator, false);
              } finally {
                await migrator.destroy();
              }
            }
            const dataSource = await new DataSource(options!).initialize();
            if (config.migrationsRun && !config.databaseUrl)
              await runMigrationsExclusively(dataSource, true);
            return dataSource;
          },
        }),
        // The plugin and ClsService without ClsModule.forRoot, which registers a no-op global
        // guard and interceptor (for its optional request context, unused here: transactions
        // open their own); a global interceptor puts Nest's rxjs chain on every request.
        {
          ...ClsModule.registerPlugins([
            new ClsPluginTransactional({
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }),
            }),
          ]),
          global: true,
        },
      ],
    };
  }
}
