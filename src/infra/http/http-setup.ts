import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay, { HTTPMethod, HTTPVersion } from 'find-my-way';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';

/** The contract's body limit: larger bodies get 413 and are read no further. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // On shutdown, idle keep-alive sockets close at once; busy ones finish their request first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  });
}

/**
 * Fastify-level behaviour Nest does not configure: one JSON parser for every content type (contest
 * clients send `{}` with and without a JSON content type) and the route table that tells 405 from
 * 404. Errors raised before a controller runs (parsing, body limit) reach the global filter through
 * Nest's own fastify error handler. Call before routes are registered (before `app.init()`).
 */
export function configureHttp(fastify: FastifyInstance): RouteTable {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // An empty body is not an error here: only the endpoints that need a body refuse it.
    if (text.trim() === '') return done(null, undefined);
    parseJson(req, text, (err, parsed) => (err ? done(DomainError.of(ErrorCode.MALFORMED_JSON), undefined) : done(null, parsed)));
  });

  const knownPaths = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, maxParamLength: 512 });
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods.map((m) => m.toUpperCase() as HTTPMethod)) {
      if (!knownPaths.hasRoute(method, route.url)) knownPaths.on(method, route.url, () => undefined);
    }
  });

  return {
    allowedMethods(url: string): string[] {
      const path = url.split('?', 1)[0];
      return METHODS.filter((m) => knownPaths.find(m, path) !== null);
    },
  };
}

const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;

export interface RouteTable {
  /** Methods that have a route for this URL's path; empty when the path is unknown altogether. */
  allowedMethods(url: string): string[];
}
