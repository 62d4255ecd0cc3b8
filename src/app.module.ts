import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './infra/config/app-config';
import { ConfigModule } from './infra/config/config.module';
import { DatabaseModule } from './infra/database/database.module';
import { DatasetModule } from './infra/dataset/dataset.module';
import { GraphqlTransportModule } from './infra/graphql/graphql-transport.module';
import { HealthModule } from './infra/health/health.module';
import { MetricsModule } from './infra/metrics/metrics.module';
import { RedisModule } from './infra/redis/redis.module';
import { AuthModule } from './modules/auth/auth.module';
import { CartModule } from './modules/cart/cart.module';
import { OrderModule } from './modules/order/order.module';
import { StockModule } from './modules/stock/stock.module';
import { TicketModule } from './modules/ticket/ticket.module';
import { VoteModule } from './modules/vote/vote.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        RedisModule,
        DatasetModule,
        HealthModule,
        MetricsModule,
        GraphqlTransportModule,
        AuthModule,
        StockModule,
        CartModule,
        OrderModule,
        TicketModule,
        VoteModule,
      ],
    };
  }
}
