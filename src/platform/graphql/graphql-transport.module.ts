import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppConfig } from '../config/app-config';
import { formatGraphqlErrors } from '../errors/graphql-error.formatter';
import { registerGraphiql } from './graphiql.plugin';
import { checkGetRequest, checkSource, documentLimitsRule, GraphqlLimits } from './graphql-limits';

export const GRAPHQL_PATH = '/graphql';

export function graphqlLimitsOf(config: AppConfig): GraphqlLimits {
  return {
    maxBytes: config.GRAPHQL_MAX_BYTES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxFields: config.GRAPHQL_MAX_FIELDS,
    maxDepth: config.GRAPHQL_MAX_DEPTH,
  };
}

/**
 * The GraphQL transport: Mercurius on the app's Fastify, schema generated from the resolvers of
 * the feature modules (code first), errors mapped by formatGraphqlErrors, and GraphiQL served
 * with the app's own assets (mercurius' built-in one would load them from a CDN).
 *
 * Every document is bounded before it costs memory: its size is checked on the raw text, its
 * tokens by the parser, its fields and depth by a validation rule, all before mercurius caches
 * it. The caches (parsed documents with their compiled code, and documents that failed
 * validation) hold GRAPHQL_CACHE_SIZE entries each: with 1,024 entries of unbounded documents
 * a stream of distinct large documents filled a worker's heap.
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const limits = graphqlLimitsOf(config);
        return {
          path: GRAPHQL_PATH,
          graphiql: false,
          autoSchemaFile: true,
          // Compile an operation to plain JS after its first run (graphql-jit): the clients of
          // this API repeat a handful of operations, and compiled execution skips graphql-js's
          // generic per-field walk on every call.
          jit: 1,
          cache: config.GRAPHQL_CACHE_SIZE,
          allowBatchedQueries: config.GRAPHQL_BATCHING,
          graphql: { parseOptions: { maxTokens: limits.maxTokens } },
          validationRules: [documentLimitsRule(limits)],
          hooks: {
            preParsing: async (
              _schema: unknown,
              source: string,
              context: { reply?: FastifyReply },
            ) => {
              checkSource(source, limits);
              const request = context.reply?.request;
              if (request?.method === 'GET')
                checkGetRequest(source, request.query as Record<string, unknown>, limits);
            },
          },
          errorFormatter: formatGraphqlErrors,
        };
      },
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
