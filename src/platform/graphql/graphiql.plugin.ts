import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { sendHttpError } from '../errors/http-error.filter';
import {
  GRAPHIQL_ASSETS,
  GRAPHIQL_ASSETS_PREFIX,
  GRAPHIQL_INIT,
  graphiqlInitScript,
  graphiqlPage,
} from './graphiql-page';

const HTML_UTF8 = 'text/html; charset=utf-8';
const logger = new Logger('Graphiql');

/** A browser opening the endpoint itself: a GET that asks for HTML and carries no query. */
function isBrowserVisit(request: FastifyRequest, endpoint: string): boolean {
  const [path, search = ''] = request.url.split('?', 2);
  return (
    path === endpoint &&
    !/(^|&)query=/.test(search) &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

/**
 * Serves GraphiQL at `/graphiql` and, for a browser, at the endpoint itself, with every asset
 * from the app. @fastify/static lives in its own encapsulated context (Swagger UI registers
 * another instance) and serves only the files listed in GRAPHIQL_ASSETS.
 */
export async function registerGraphiql(fastify: FastifyInstance, endpoint: string): Promise<void> {
  const page = graphiqlPage();
  const init = graphiqlInitScript(endpoint);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (
      request.method === 'GET' &&
      request.url.startsWith(endpoint) &&
      isBrowserVisit(request, endpoint)
    ) {
      void reply.header('content-type', HTML_UTF8).send(page);
      return;
    }
    done();
  });
  await fastify.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: GRAPHIQL_ASSETS['graphiql.min.js'].dir,
      serve: false,
    });
    scope.get('/graphiql', (_request, reply) => reply.header('content-type', HTML_UTF8).send(page));
    scope.get<{ Params: { name: string } }>(`${GRAPHIQL_ASSETS_PREFIX}:name`, (request, reply) => {
      if (request.params.name === GRAPHIQL_INIT)
        return reply.header('content-type', 'text/javascript; charset=utf-8').send(init);
      const asset = Object.hasOwn(GRAPHIQL_ASSETS, request.params.name)
        ? GRAPHIQL_ASSETS[request.params.name]
        : undefined;
      // Answered here: this scope has Fastify's default error handler, not the app's JSON one.
      if (!asset) return sendHttpError(reply, DomainError.of(ErrorCode.NOT_FOUND), logger);
      return reply.sendFile(asset.file, asset.dir, { maxAge: 86_400_000 });
    });
  });
}
