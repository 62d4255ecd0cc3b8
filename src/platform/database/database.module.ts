import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { OneTripTransactions } from './one-trip-transactions';
import { QueryMetrics } from './query-metrics';
import { queryTimeoutOptions } from './query-timeout';

/** TypeORM's DataSource (migrations, most queries) and the one-trip transactions of the group commits. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config),
        // The app's queries only: the data and migrate commands run long statements on purpose.
        ...queryTimeoutOptions(config),
        autoLoadEntities: true,
        retryAttempts: 10,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [OneTripTransactions, QueryMetrics],
  exports: [OneTripTransactions],
})
export class DatabaseModule {}
