import type { FastifyInstance } from 'fastify';
import type { Command } from 'ioredis';
import type { Histogram } from 'prom-client';
import type { Metrics } from './metrics.service';
import type { RedisClient } from '../redis/redis.constants';

/**
 * `redis_command_duration_seconds{command}`: every command the client sends, from the call to its
 * reply or error (pipelined and auto-pipelined commands each count). Scripts show as `evalsha`.
 * On a Redis Cluster it is the cluster client's sendCommand that is timed: every command passes
 * through it once, whichever node serves it, and a MOVED or ASK redirect stays inside the one call.
 */
export function timeRedisCommands(redis: RedisClient, metrics: Metrics): void {
  const histogram = metrics.histogram(
    'redis_command_duration_seconds',
    "This node's Redis commands, from send to reply, by command",
    ['command'],
  );
  const byCommand = boundChildren(histogram, (name) => [name]);
  // Redis' and Cluster's sendCommand differ only in what follows the command.
  const client = redis as unknown as {
    sendCommand: (command: Command, ...rest: unknown[]) => unknown;
  };
  const send = client.sendCommand.bind(redis);
  client.sendCommand = (command, ...rest) => {
    const started = performance.now();
    const result = send(command, ...rest);
    const done = (): void => byCommand(command.name).observe((performance.now() - started) / 1000);
    command.promise.then(done, done);
    return result;
  };
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
