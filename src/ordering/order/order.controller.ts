import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JsonBodyPipe } from '../../platform/http/json-body.pipe';
import { AccessTokenGuard, AdminGuard, CurrentUser } from '../../identity/access-token.guard';
import {
  AdminOrderDto,
  OrderCreatedDto,
  OrderDto,
  PlaceOrderDto,
  placeOrderSchema,
} from './dto/order.dto';
import { OrderService } from './order.service';

@ApiTags('ordering')
@ApiSecurity('access_token')
@Controller()
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Post('orders')
  @HttpCode(200)
  @UseGuards(AccessTokenGuard)
  @ApiOkResponse({
    type: OrderCreatedDto,
    description:
      '403 FOOD_OUT_OF_STOCK / ORDER_OUT_OF_LIMIT / EMPTY_CART, 404 CART_NOT_FOUND, 401 NOT_AUTHORIZED_TO_ACCESS_CART',
  })
  async place(
    @CurrentUser() userId: number,
    @Body(new JsonBodyPipe(placeOrderSchema)) body: PlaceOrderDto,
  ): Promise<OrderCreatedDto> {
    return { id: await this.orders.place(userId, body.cart_id) };
  }

  @Get('orders')
  @UseGuards(AccessTokenGuard)
  @ApiOkResponse({ type: [OrderDto] })
  async listOwn(@CurrentUser() userId: number): Promise<OrderDto[]> {
    return (await this.orders.listOwn(userId)).map(({ id, items, total }) => ({
      id,
      items,
      total,
    }));
  }

  @Get('admin/orders')
  @UseGuards(AdminGuard)
  @ApiOkResponse({
    type: [AdminOrderDto],
    description: 'Root only; any other token gets 401 INVALID_ACCESS_TOKEN',
  })
  async listAll(): Promise<AdminOrderDto[]> {
    return (await this.orders.listAll()).map(({ id, userId, items, total }) => ({
      id,
      user_id: userId,
      items,
      total,
    }));
  }
}
