import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface OpenApiOptions {
  readonly title: string;
  readonly description: string;
  readonly securitySchemes: Record<string, unknown>;
}

/**
 * The OpenAPI document, built by @fastify/swagger from the schemas of the routes registered after
 * it (routes with no tag, such as GraphQL's and the UI's own, stay out), and Swagger UI at /docs
 * with its assets served by the app itself (works offline). The document is at /docs/json, and at
 * /docs-json where clients of earlier versions fetch it.
 */
export async function registerOpenApi(
  app: NestFastifyApplication,
  { title, description, securitySchemes }: OpenApiOptions,
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      info: { title, description, version: '1' },
      components: { securitySchemes: securitySchemes as never },
    },
    hideUntagged: true,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/docs-json', { schema: { hide: true } }, () => fastify.swagger());
}
