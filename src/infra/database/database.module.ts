import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { OneTripTransactions } from './one-trip-transactions';

/** TypeORM's DataSource (migrations, most queries) and the one-trip transactions of the group commits. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config),
        autoLoadEntities: true,
        retryAttempts: 10,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [OneTripTransactions],
  exports: [OneTripTransactions],
})
export class DatabaseModule {}
