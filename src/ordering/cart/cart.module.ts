import { Module } from '@nestjs/common';
import { AuthModule } from '../../identity/auth.module';
import { StockModule } from '../stock/stock.module';
import { CartIds } from './cart-ids.service';
import { CartRoutes } from './cart.routes';
import { CartService } from './cart.service';

@Module({
  imports: [AuthModule, StockModule],
  providers: [CartIds, CartService, CartRoutes],
  exports: [CartService],
})
export class CartModule {}
