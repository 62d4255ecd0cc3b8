import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { AuthModule } from '../../identity/auth.module';
import { CartModule } from '../cart/cart.module';
import { StockModule } from '../stock/stock.module';
import { OrderCommitter } from './order-committer.service';
import { OrderController } from './order.controller';
import { OrderReconciler } from './order-reconciler.service';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';

@Module({
  imports: [AuthModule, CartModule, StockModule, ClusterModule],
  controllers: [OrderController],
  providers: [OrderService, OrderRepository, OrderCommitter, OrderReconciler],
})
export class OrderModule {}
