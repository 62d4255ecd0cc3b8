import { Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { ErrorCode } from '../../platform/errors/error-codes';
import { RestRoute, RestRouteSource, defineRoute } from '../../platform/http/rest-route';
import { RestRoutes } from '../../platform/http/rest-router';
import { TokenAuth } from '../../identity/token-auth';
import { OrderService } from './order.service';

const Items = Type.Array(Type.Object({ food_id: Type.Integer(), count: Type.Integer() }));
const Contents = { items: Items, total: Type.Integer() };

@RestRoutes()
@Injectable()
export class OrderRoutes implements RestRouteSource {
  constructor(
    private readonly orders: OrderService,
    private readonly auth: TokenAuth,
  ) {}

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'POST',
        url: '/orders',
        summary: "Orders the caller's cart: all its items or nothing; one order per user",
        tags: ['ordering'],
        guard: this.auth.user,
        body: Type.Object({ cart_id: Type.String({ maxLength: 1024 }) }),
        reply: Type.Object({ id: Type.String() }),
        errors: [
          ErrorCode.NOT_AUTHORIZED_TO_ACCESS_CART,
          ErrorCode.FOOD_OUT_OF_STOCK,
          ErrorCode.ORDER_OUT_OF_LIMIT,
          ErrorCode.EMPTY_CART,
          ErrorCode.CART_NOT_FOUND,
          ErrorCode.SERVICE_UNAVAILABLE,
        ],
        handler: async (request) => ({
          id: await this.orders.place(request.userId, request.body.cart_id),
        }),
      }),
      defineRoute({
        method: 'GET',
        url: '/orders',
        summary: "The caller's orders",
        tags: ['ordering'],
        guard: this.auth.user,
        reply: Type.Array(Type.Object({ id: Type.String(), ...Contents })),
        errors: [ErrorCode.SERVICE_UNAVAILABLE],
        // The schema writes the listed fields only (the row's user id stays out).
        handler: (request) => this.orders.listOwn(request.userId),
      }),
      defineRoute({
        method: 'GET',
        url: '/admin/orders',
        summary: "Every user's orders; root's token only",
        tags: ['ordering'],
        guard: this.auth.admin,
        reply: Type.Array(Type.Object({ id: Type.String(), user_id: Type.Integer(), ...Contents })),
        errors: [ErrorCode.SERVICE_UNAVAILABLE],
        handler: async () =>
          (await this.orders.listAll()).map(({ id, userId, items, total }) => ({
            id,
            user_id: userId,
            items,
            total,
          })),
      }),
    ];
  }
}
