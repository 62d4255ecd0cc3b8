// Baseline for the GraphQL floor, second step: the smallest Nest application with the app's
// GraphQL stack (Nest's Fastify adapter, @nestjs/graphql code first with the mercurius driver,
// graphql-jit) and one trivial resolver, in the app's process layout. Between bare mercurius and
// the app, it shows what Nest's layers cost and what the app's own set-up adds on top of them.
// Plain JavaScript, so the decorators are applied as functions. Env: APP_PORT, WORKERS.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver } from '@nestjs/mercurius';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { serveOnWorkers } from './cluster.mjs';

class OkResolver {
  ok() {
    return true;
  }
}
Query(() => Boolean)(
  OkResolver.prototype,
  'ok',
  Object.getOwnPropertyDescriptor(OkResolver.prototype, 'ok'),
);
Resolver()(OkResolver);

class FloorModule {}
Module({
  imports: [
    GraphQLModule.forRoot({
      driver: MercuriusDriver,
      path: '/graphql',
      graphiql: false,
      autoSchemaFile: true,
      jit: 1,
    }),
  ],
  providers: [OkResolver],
})(FloorModule);

await serveOnWorkers(8092, async () => {
  const app = await NestFactory.create(FloorModule, new FastifyAdapter({ logger: false }), {
    logger: ['error'],
  });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/', async () => ({ ok: true })); // the bench's readiness probe
  return app;
});
