import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { AuthModule } from '../auth/auth.module';
import { FoodCatalog } from './food-catalog.service';
import { FoodsController } from './foods.controller';
import { OrderStateBuilder } from './order-state.builder';
import { StockService } from './stock.service';

@Module({
  imports: [AuthModule, ClusterModule],
  controllers: [FoodsController],
  providers: [FoodCatalog, OrderStateBuilder, StockService],
  exports: [FoodCatalog, StockService],
})
export class StockModule {}
