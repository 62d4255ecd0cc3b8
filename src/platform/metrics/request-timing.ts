import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Histogram } from 'prom-client';
import type { Metrics } from './metrics.service';

/**
 * `redis_command_duration_seconds{command}`: every command the client sends, from the call to its
 * reply or error (pipelined and auto-pipelined commands each count). Scripts show as `evalsha`.
 */
export function timeRedisCommands(redis: Redis, metrics: Metrics): void {
  const histogram = metrics.histogram(
    'redis_command_duration_seconds',
    "This node's Redis commands, from send to reply, by command",
    ['command'],
  );
  const byCommand = boundChildren(histogram, (name) => [name]);
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command, ...rest) => {
    const started = performance.now();
    const result = send(command, ...rest);
    const done = (): void => byCommand(command.name).observe((performance.now() - started) / 1000);
    command.promise.then(done, done);
    return result;
  }) as typeof redis.sendCommand;
}

/**
 * `http_request_duration_seconds{route,method,status}`: every answer of the Fastify instance, the
 * route as declared (`/carts/:cart_id`), `unmatched` for a path no route serves.
 */
export function timeHttpRequests(fastify: FastifyInstance, metrics: Metrics): void {
  const histogram = metrics.histogram(
    'http_request_duration_seconds',
    'HTTP requests answered by this node, from the first byte read to the answer sent',
    ['route', 'method', 'status'],
  );
  const byKey = boundChildren(histogram, (key) => key.split(' '));
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    byKey(`${route} ${request.method} ${reply.statusCode}`).observe(reply.elapsedTime / 1000);
    done();
  });
}

/** A histogram's children cached by a key: labels are hashed once per series, not per call. */
function boundChildren(
  histogram: Histogram<string>,
  labelsOf: (key: string) => string[],
): (key: string) => Histogram.Internal<string> {
  const children = new Map<string, Histogram.Internal<string>>();
  return (key) => {
    let child = children.get(key);
    if (!child) {
      child = histogram.labels(...labelsOf(key));
      children.set(key, child);
    }
    return child;
  };
}
