import { Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { JSON_UTF8 } from '../../platform/errors/http-error.filter';
import { RestRoute, RestRouteSource, defineRoute } from '../../platform/http/rest-route';
import { RestRoutes } from '../../platform/http/rest-router';
import { TokenAuth } from '../../identity/token-auth';
import { FoodCatalog } from './food-catalog.service';

const Foods = Type.Array(
  Type.Object({
    id: Type.Integer(),
    price: Type.Integer(),
    stock: Type.Integer({
      description: 'Units left across the cluster; may lag a live sale by up to a second',
    }),
  }),
);

@RestRoutes()
@Injectable()
export class FoodsRoutes implements RestRouteSource {
  constructor(
    private readonly catalog: FoodCatalog,
    private readonly auth: TokenAuth,
  ) {}

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'GET',
        url: '/foods',
        summary: 'Every food with its price and the stock left',
        tags: ['ordering'],
        guard: this.auth.user,
        reply: Foods,
        // The catalog keeps the body ready: no serialisation per request.
        handler: (_request, reply) =>
          reply.header('content-type', JSON_UTF8).send(this.catalog.json),
      }),
    ];
  }
}
