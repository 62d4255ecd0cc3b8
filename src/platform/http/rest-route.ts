import type { Static, TSchema } from '@sinclair/typebox';
import type {
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  HTTPMethods,
  RouteOptions,
  preValidationHookHandler,
} from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';

/**
 * Who may call a route: a hook that runs after the body is parsed and before it is validated (so a
 * bad token is reported before a bad body, and a body that is not JSON before either), the OpenAPI
 * security requirement it stands for, and the errors it answers with. Contexts that own users
 * provide these; platform only runs them.
 */
export interface RouteGuard {
  readonly check: preValidationHookHandler;
  readonly security: ReadonlyArray<Record<string, string[]>>;
  readonly errors: readonly ErrorCode[];
}

/**
 * One REST route, declared once: the JSON schemas validate the body (Fastify's ajv, no coercion),
 * serialise the answer (fast-json-stringify) and document the route (OpenAPI at /docs); the errors
 * listed, with the guard's, become the route's documented error answers.
 */
export interface RestRoute<Body extends TSchema = TSchema> {
  readonly method: HTTPMethods;
  readonly url: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly guard?: RouteGuard;
  /** The JSON body the route needs: none at all is EMPTY_REQUEST, one that does not fit MALFORMED_JSON. */
  readonly body?: Body;
  readonly params?: TSchema;
  /** The success status (200 unless set) and its body's schema (none for 204). */
  readonly status?: number;
  readonly reply?: TSchema;
  /** The success body's content type when it is not JSON (errors are JSON whatever it is). */
  readonly produces?: string;
  readonly errors?: readonly ErrorCode[];
  readonly handler: (
    request: FastifyRequest<{ Body: Static<Body>; Params: Record<string, string> }>,
    reply: FastifyReply,
  ) => unknown;
}

/** A route whose handler is typed by its body schema, as the list of a {@link RestRouteSource} holds it. */
export function defineRoute<Body extends TSchema>(route: RestRoute<Body>): RestRoute {
  return route as unknown as RestRoute;
}

/** A Nest provider that declares REST routes; found at boot (see RestRouter) and registered on Fastify. */
export interface RestRouteSource {
  routes(): readonly RestRoute[];
}

/** Refuses a request with no body at all, before the schema sees it (which would call it malformed). */
const requireBody: preValidationHookHandler = (request, _reply, done) => {
  done(request.body === undefined ? DomainError.of(ErrorCode.EMPTY_REQUEST) : undefined);
};

/**
 * A body that does not fit its schema is MALFORMED_JSON, whatever ajv found first. A new error
 * each time, not the shared one: Fastify writes the validation details onto it.
 */
const malformed = (): Error => new DomainError(ErrorCode.MALFORMED_JSON);

const ERROR_BODY = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
} as const;

/**
 * Every error a route can answer with, grouped by status: its guard's, its own, and those of the
 * body parser, which reads a body sent to any route (not JSON, or over the limit).
 */
function errorResponses(route: RestRoute): Record<number, unknown> {
  const codes = new Set<ErrorCode>([
    ...(route.guard?.errors ?? []),
    ...(route.body ? [ErrorCode.EMPTY_REQUEST] : []),
    ErrorCode.MALFORMED_JSON,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ...(route.errors ?? []),
  ]);
  const byStatus: Record<number, ErrorCode[]> = {};
  for (const code of codes) (byStatus[ERROR_CATALOG[code].status] ??= []).push(code);
  const responses: Record<number, unknown> = {};
  for (const [status, list] of Object.entries(byStatus)) {
    responses[Number(status)] = {
      description: list.join(', '),
      ...ERROR_BODY,
      properties: { ...ERROR_BODY.properties, code: { type: 'string', enum: list } },
    };
  }
  return responses;
}

/** The Fastify route for a declaration. */
export function toRouteOptions(route: RestRoute): RouteOptions {
  const status = route.status ?? 200;
  const success =
    status === 204
      ? { type: 'null', description: 'No body' }
      : route.produces
        ? { description: route.summary, content: { [route.produces]: { schema: route.reply } } }
        : { description: route.summary, ...(route.reply ?? {}) };
  const schema: FastifySchema & Record<string, unknown> = {
    summary: route.summary,
    tags: [...route.tags],
    ...(route.guard ? { security: route.guard.security } : {}),
    ...(route.body ? { body: route.body } : {}),
    ...(route.params ? { params: route.params } : {}),
    response: { [status]: success, ...errorResponses(route) },
  };
  const hooks = [...(route.guard ? [route.guard.check] : []), ...(route.body ? [requireBody] : [])];
  return {
    method: route.method,
    url: route.url,
    schema,
    ...(hooks.length > 0 ? { preValidation: hooks } : {}),
    schemaErrorFormatter: malformed,
    handler: route.handler as RouteOptions['handler'],
  };
}
