import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyInstance } from 'fastify';
import { formatGraphqlErrors } from '../errors/graphql-error.formatter';
import { registerGraphiql } from './graphiql.plugin';

export const GRAPHQL_PATH = '/graphql';

/**
 * The GraphQL transport: Mercurius on the app's Fastify, schema generated from the resolvers of
 * the feature modules (code first), errors mapped by formatGraphqlErrors, and GraphiQL served
 * with the app's own assets (mercurius' built-in one would load them from a CDN).
 */
@Module({
  imports: [
    GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      path: GRAPHQL_PATH,
      graphiql: false,
      autoSchemaFile: true,
      // Compile an operation to plain JS after its first run (graphql-jit): the clients of this
      // API repeat a handful of operations, and compiled execution skips graphql-js's generic
      // per-field walk on every call.
      jit: 1,
      errorFormatter: formatGraphqlErrors,
    }),
  ],
})
export class GraphqlTransportModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    await registerGraphiql(
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>(),
      GRAPHQL_PATH,
    );
  }
}
