import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './platform/config/app-config';
import { ConfigModule } from './platform/config/config.module';
import { DatabaseModule } from './platform/database/database.module';
import { DatasetModule } from './platform/dataset/dataset.module';
import { GraphqlTransportModule } from './platform/graphql/graphql-transport.module';
import { HealthModule } from './platform/health/health.module';
import { MetricsModule } from './platform/metrics/metrics.module';
import { RedisModule } from './platform/redis/redis.module';
import { RestRouterModule } from './platform/http/rest-router';
import { AuthModule } from './identity/auth.module';
import { CartModule } from './ordering/cart/cart.module';
import { OrderModule } from './ordering/order/order.module';
import { StockModule } from './ordering/stock/stock.module';
import { TicketModule } from './voting/ticket/ticket.module';
import { VoteModule } from './voting/vote/vote.module';

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
        RestRouterModule,
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
