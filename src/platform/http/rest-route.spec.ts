import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { RouteGuard, defineRoute, toRouteOptions } from './rest-route';

const guard: RouteGuard = {
  check: (_request, _reply, done) => done(),
  security: [{ token: [] }],
  errors: [ErrorCode.INVALID_ACCESS_TOKEN],
};

const route = (extra: Partial<Parameters<typeof defineRoute>[0]> = {}) =>
  toRouteOptions(
    defineRoute({
      method: 'POST',
      url: '/things',
      summary: 'Makes a thing',
      tags: ['things'],
      handler: () => ({}),
      ...extra,
    }),
  );

type Responses = Record<string, { description: string; properties?: { code: { enum: string[] } } }>;
const responsesOf = (options: ReturnType<typeof route>) =>
  (options.schema as { response: Responses }).response;

function runHook(hook: preValidationHookHandler, body: unknown): unknown {
  let result: unknown = 'not called';
  hook.call(
    undefined as never,
    { body } as FastifyRequest,
    {} as FastifyReply,
    ((error?: unknown) => (result = error)) as never,
  );
  return result;
}

describe('toRouteOptions', () => {
  it("documents the route's errors with its guard's and the body parser's, grouped by status", () => {
    const responses = responsesOf(
      route({
        guard,
        body: Type.Object({ name: Type.String() }),
        errors: [ErrorCode.CART_NOT_FOUND, ErrorCode.FOOD_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE],
      }),
    );
    const codes = Object.fromEntries(
      Object.entries(responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, r]) => [status, r.properties?.code.enum]),
    );
    expect(codes).toEqual({
      400: [ErrorCode.EMPTY_REQUEST, ErrorCode.MALFORMED_JSON],
      401: [ErrorCode.INVALID_ACCESS_TOKEN],
      404: [ErrorCode.CART_NOT_FOUND, ErrorCode.FOOD_NOT_FOUND],
      413: [ErrorCode.PAYLOAD_TOO_LARGE],
      503: [ErrorCode.SERVICE_UNAVAILABLE],
    });
    expect(responses[200].description).toBe('Makes a thing');
  });

  it('names no EMPTY_REQUEST, runs no body hook and needs no token for a route without them', () => {
    const options = route();
    expect(responsesOf(options)[400].properties?.code.enum).toEqual([ErrorCode.MALFORMED_JSON]);
    expect(options.preValidation).toBeUndefined();
    expect((options.schema as { security?: unknown }).security).toBeUndefined();
  });

  it('runs the guard before the body check, and refuses only a body that is absent', () => {
    const options = route({ guard, body: Type.Object({}) });
    const hooks = options.preValidation as preValidationHookHandler[];
    expect(hooks).toHaveLength(2);
    expect(hooks[0]).toBe(guard.check);
    expect(runHook(hooks[1], undefined)).toBe(DomainError.of(ErrorCode.EMPTY_REQUEST));
    // `null` and other non-objects are the schema's to refuse (MALFORMED_JSON).
    expect(runHook(hooks[1], null)).toBeUndefined();
    expect(runHook(hooks[1], {})).toBeUndefined();
  });

  it('documents a 204 as having no body, and a non-JSON success under its own content type', () => {
    expect(responsesOf(route({ status: 204 }))[204]).toEqual({
      type: 'null',
      description: 'No body',
    });
    const text = responsesOf(route({ produces: 'text/plain', reply: Type.String() }))[200];
    expect(text).toEqual({
      description: 'Makes a thing',
      content: { 'text/plain': { schema: Type.String() } },
    });
  });
});
