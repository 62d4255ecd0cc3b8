import { Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { ErrorCode } from '../../platform/errors/error-codes';
import { RestRoute, RestRouteSource, defineRoute } from '../../platform/http/rest-route';
import { RestRoutes } from '../../platform/http/rest-router';
import { TokenAuth } from '../../identity/token-auth';
import { CartService } from './cart.service';

// Any safe integer is a well-formed count; whether it fits the cart is the limit rule's call.
const SafeInteger = (options: { examples: number[]; description?: string }) =>
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options });

const AddItemBody = Type.Object({
  food_id: SafeInteger({ examples: [1] }),
  count: SafeInteger({
    examples: [1],
    description: 'May be negative: removes that many of the food',
  }),
});

@RestRoutes()
@Injectable()
export class CartRoutes implements RestRouteSource {
  constructor(
    private readonly carts: CartService,
    private readonly auth: TokenAuth,
  ) {}

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'POST',
        url: '/carts',
        summary: 'A new empty cart of the caller',
        tags: ['ordering'],
        guard: this.auth.user,
        reply: Type.Object({ cart_id: Type.String() }),
        handler: (request) => ({ cart_id: this.carts.create(request.userId) }),
      }),
      defineRoute({
        method: 'PATCH',
        url: '/carts/:cartId',
        summary: "Adds (or with a negative count removes) units of a food to the caller's cart",
        tags: ['ordering'],
        guard: this.auth.user,
        params: Type.Object({ cartId: Type.String() }),
        body: AddItemBody,
        status: 204,
        errors: [
          ErrorCode.CART_NOT_FOUND,
          ErrorCode.FOOD_NOT_FOUND,
          ErrorCode.NOT_AUTHORIZED_TO_ACCESS_CART,
          ErrorCode.FOOD_OUT_OF_LIMIT,
          ErrorCode.SERVICE_UNAVAILABLE,
        ],
        handler: async (request, reply) => {
          const { food_id, count } = request.body;
          await this.carts.addItem(request.userId, request.params.cartId, food_id, count);
          return reply.code(204).send();
        },
      }),
    ];
  }
}
