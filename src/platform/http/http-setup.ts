import { Logger } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay, { HTTPMethod, HTTPVersion } from 'find-my-way';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';
import { JSON_UTF8, sendHttpError } from '../errors/http-error.filter';
import { requestId } from '../logging/request-logging';

/** The contract's body limit: larger bodies get 413 and are read no further. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * As long as any URL node accepts (its header limit is 16 KiB): an id of any length must reach its
 * route and get the contract's answer (CART_NOT_FOUND), not the router's own 414.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * Fastify keeps in each route the error handler its scope had when the route was registered. Ours
 * (set by {@link configureHttp} before any route) is the one every route of this app answers with;
 * Nest sets its own at the root during `init()`, after its routes are registered, where it could
 * only reach routes registered later (there are none) and only makes Fastify warn that a handler
 * was overridden (FSTWRN004). So Nest's call is ignored: errors still reach the global filter,
 * which Nest runs inside each route, and Fastify-level ones reach ours.
 */
class AppFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(): FastifyInstance {
    return this.getInstance(); // deliberately not installed: see the class comment
  }
}

/**
 * Fastify's own options. The timeouts bound what an idle or trickling client can hold: headers
 * within HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS, a socket
 * silent that long is closed, an idle keep-alive one after HTTP_KEEPALIVE_TIMEOUT_MS. Node checks
 * the first two once per `connectionsCheckingInterval` (30 s unless set), hence the shorter one.
 */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new AppFastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // On shutdown, idle keep-alive sockets close at once; busy ones finish their request first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    keepAliveTimeout: config.HTTP_KEEPALIVE_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, config.HTTP_HEADERS_TIMEOUT_MS),
      // Node would answer a request without Host itself, with an empty body: see configureHttp.
      requireHostHeader: false,
    },
    clientErrorHandler: answerClientError,
    // Requests are logged by registerRequestLogging, not by Fastify's logger (two lines each).
    logger: false,
    ...(config.LOG_REQUESTS !== 'off' ? { genReqId: requestId } : {}),
    // The routes' body schemas are the contract's types: `"food_id": "1"` is refused, not
    // converted, and nothing is added to or removed from a body.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    rewriteUrl: (req: IncomingMessage) => literalPercents(req.url ?? '/'),
  });
}

/** Node's parser errors for requests that never reached Fastify, by the code they are answered with. */
const CLIENT_ERRORS: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: ErrorCode.HEADERS_TOO_LARGE,
  ERR_HTTP_REQUEST_TIMEOUT: ErrorCode.REQUEST_TIMEOUT,
};

/**
 * A request Node's HTTP parser refuses (a control byte in a header, broken framing, headers too
 * large or too slow) never reaches a route or an error handler; it is answered here, on the raw
 * socket, with the contract's JSON body, and the connection is closed since its framing is lost.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code = CLIENT_ERRORS[error.code ?? ''] ?? ErrorCode.BAD_REQUEST;
  const { status, message } = ERROR_CATALOG[code];
  const body = JSON.stringify({ code, message });
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_UTF8}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  // An answer to HEAD has no body (the client would read it as a next response). The bytes Node
  // failed on hold the request line whenever the head came in one piece, as it does in practice.
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  const isHead = Buffer.isBuffer(raw) && raw.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(isHead ? head : head + body, () => socket.destroy());
}

/**
 * A path that is not valid percent-encoding makes the router fail before any route or hook runs,
 * with Fastify's own error body (which echoes the URL, token included). Such a path is taken with
 * its '%' as literal characters instead, so it reaches its route like any other unknown id (or the
 * JSON 404). Paths that decode are left alone; most have no '%' at all.
 */
function literalPercents(url: string): string {
  const end = url.indexOf('?');
  const path = end < 0 ? url : url.slice(0, end);
  if (!path.includes('%')) return url;
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replace(/%/g, '%25') + (end < 0 ? '' : url.slice(end));
  }
}

/**
 * Fastify-level behaviour Nest does not configure: one JSON parser for every content type (contest
 * clients send `{}` with and without a JSON content type), the route table that tells 405 from
 * 404, and the JSON error handler for failures before a controller runs (parsing, body limit).
 * Call before routes are registered (before `app.init()`): each route keeps the error handler its
 * scope had at that moment (mercurius sets its own in its own scope, for the GraphQL route).
 */
export function configureHttp(fastify: FastifyInstance): RouteTable {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (req: FastifyRequest, body: string | Buffer, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      // An empty body is not an error here: only the endpoints that need a body refuse it.
      if (text.trim() === '') return done(null, undefined);
      parseJson(req, text, (err, parsed) =>
        err ? done(DomainError.of(ErrorCode.MALFORMED_JSON), undefined) : done(null, parsed),
      );
    },
  );

  // Once the server is closing, every response says `Connection: close`: a keep-alive connection
  // whose request was in flight at SIGTERM would otherwise stay open after its answer and hold the
  // shutdown until the client or keepAliveTimeout (65 s) closes it.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  const logger = new Logger('HttpError');
  // HTTP/1.1 requires a Host header; refused here in the contract's shape rather than by Node.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      void reply.header('connection', 'close');
      return sendHttpError(
        reply,
        new DomainError(ErrorCode.BAD_REQUEST, 'HTTP/1.1 requests need a Host header'),
        logger,
      );
    }
    done();
  });
  // An `Expect` other than 100-continue: Node would send a bare 417.
  fastify.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const { status, message } = ERROR_CATALOG.EXPECTATION_FAILED;
    const body = JSON.stringify({ code: ErrorCode.EXPECTATION_FAILED, message });
    response.writeHead(status, {
      'content-type': JSON_UTF8,
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });

  fastify.setErrorHandler((error, _request, reply) => sendHttpError(reply, error, logger));

  const knownPaths = FindMyWay<HTTPVersion.V1>({
    ignoreTrailingSlash: true,
    maxParamLength: MAX_PARAM_LENGTH,
  });
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods.map((m) => m.toUpperCase() as HTTPMethod)) {
      if (!knownPaths.hasRoute(method, route.url))
        knownPaths.on(method, route.url, () => undefined);
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
