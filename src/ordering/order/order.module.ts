import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { AuthModule } from '../../identity/auth.module';
import { CartModule } from '../cart/cart.module';
import { StockModule } from '../stock/stock.module';
import { OrderCommitter } from './order-committer.service';
import { OrderReconciler } from './order-reconciler.service';
import { OrderRepository } from './order.repository';
import { OrderRoutes } from './order.routes';
import { OrderService } from './order.service';

@Module({
  imports: [AuthModule, CartModule, StockModule, ClusterModule],
  providers: [OrderRoutes, OrderService, OrderRepository, OrderCommitter, OrderReconciler],
})
export class OrderModule {}
