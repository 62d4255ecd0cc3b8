import { Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { RestRouteSource, toRouteOptions } from './rest-route';

/**
 * Marks a provider whose `routes()` are registered on the Fastify instance at boot. The REST
 * routes live there rather than in Nest's router: Nest still builds and injects the providers,
 * and a request runs only Fastify's hooks, the route's guard and its handler.
 */
export const RestRoutes = DiscoveryService.createDecorator<void>();

@Injectable()
export class RestRouter implements OnModuleInit {
  private readonly logger = new Logger(RestRouter.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly adapter: HttpAdapterHost,
  ) {}

  /** Runs in `app.init()`: after the HTTP set-up and the OpenAPI plugin, before the server listens. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: RestRoutes.KEY })) {
      for (const route of (wrapper.instance as RestRouteSource).routes()) {
        fastify.route(toRouteOptions(route));
        this.logger.debug(`Mapped {${route.url}, ${route.method}} route`);
      }
    }
  }
}

@Module({ imports: [DiscoveryModule], providers: [RestRouter] })
export class RestRouterModule {}
