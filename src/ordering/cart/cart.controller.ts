import { Body, Controller, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JsonBodyPipe } from '../../platform/http/json-body.pipe';
import { AccessTokenGuard, CurrentUser } from '../../identity/access-token.guard';
import { CartService } from './cart.service';
import { AddItemDto, CartCreatedDto, addItemSchema } from './dto/cart.dto';

@ApiTags('ordering')
@ApiSecurity('access_token')
@Controller('carts')
@UseGuards(AccessTokenGuard)
export class CartController {
  constructor(private readonly carts: CartService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: CartCreatedDto })
  create(@CurrentUser() userId: number): CartCreatedDto {
    return { cart_id: this.carts.create(userId) };
  }

  @Patch(':cartId')
  @HttpCode(204)
  @ApiNoContentResponse({
    description:
      '404 CART_NOT_FOUND / FOOD_NOT_FOUND, 401 NOT_AUTHORIZED_TO_ACCESS_CART, 403 FOOD_OUT_OF_LIMIT',
  })
  async addItem(
    @CurrentUser() userId: number,
    @Param('cartId') cartId: string,
    @Body(new JsonBodyPipe(addItemSchema)) body: AddItemDto,
  ): Promise<void> {
    await this.carts.addItem(userId, cartId, body.food_id, body.count);
  }
}
