import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { AuthModule } from '../../identity/auth.module';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { FoodsRoutes } from '../catalog/foods.routes';
import { OrderingScripts } from '../ordering-scripts';
import { OrderStateBuilder } from './order-state.builder';
import { StockLeases } from './stock-leases.service';
import { StockRecalls } from './stock-recalls';
import { StockService } from './stock.service';

@Module({
  imports: [AuthModule, ClusterModule],
  providers: [
    FoodsRoutes,
    FoodCatalog,
    OrderStateBuilder,
    OrderingScripts,
    StockService,
    StockLeases,
    StockRecalls,
  ],
  exports: [FoodCatalog, OrderingScripts, StockService, StockLeases],
})
export class StockModule {}
