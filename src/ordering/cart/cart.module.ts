import { Module } from '@nestjs/common';
import { AuthModule } from '../../identity/auth.module';
import { StockModule } from '../stock/stock.module';
import { CartIds } from './cart-ids.service';
import { CartController } from './cart.controller';
import { CartService } from './cart.service';

@Module({
  imports: [AuthModule, StockModule],
  controllers: [CartController],
  providers: [CartIds, CartService],
  exports: [CartService],
})
export class CartModule {}
