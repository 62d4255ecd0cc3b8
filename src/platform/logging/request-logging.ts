import { fastifyRequestContext } from '@fastify/request-context';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

/** A caller's own id is kept if it is short and plain; anything else gets a fresh one. */
const CALLER_ID = /^[\w.:-]{1,64}$/;

/** The request's id: the caller's `x-request-id`, or a new UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CALLER_ID.test(given) ? given : randomUUID();
}

/**
 * One line per request answered (`reqId`, method, path, route, status, ms) and the id echoed in the
 * answer's `x-request-id`. With `all`, the id is also kept in an async context for the whole
 * request, so every line written while serving it carries it (PinoLoggerService); that context
 * costs some CPU on every promise of the request. `errors` (LOG_REQUESTS=errors) writes the line
 * only for answers with status ≥ 400 and keeps no context: a sale's 200s cost an id and a hook.
 * LOG_REQUESTS=off turns all of this off.
 */
export async function registerRequestLogging(
  fastify: FastifyInstance,
  logger: Logger,
  errorsOnly = false,
): Promise<void> {
  if (!errorsOnly)
    await fastify.register(fastifyRequestContext, {
      defaultStoreValues: (request: FastifyRequest) => ({ reqId: request.id }),
    });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  const requests = logger.child({ context: 'Http' });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (errorsOnly && reply.statusCode < 400) return done();
    requests.info(
      {
        reqId: request.id,
        method: request.method,
        // Without the query: a token may be in it (`?access_token=`).
        path: request.url.split('?', 1)[0],
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
    done();
  });
}
