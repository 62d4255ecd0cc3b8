import http from 'node:http';
import { connect } from 'node:net';
import { responsesComplete } from './http-response';

/**
 * The fuzzer's two ways onto the wire, both bounded in time and in what they read back:
 * `sendHttp` (node:http, so the request is well-formed HTTP/1.1) and `sendRaw` (bytes on a plain
 * socket, so the request can be anything; http-response.ts parses what comes back).
 */

/** Most bytes of a response body the fuzzer reads; the rest is dropped (the check sees a prefix). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpTarget {
  host: string;
  port: number;
}

export function targetOf(url: string): HttpTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 80) };
}

export interface WireRequest {
  method: string;
  /** Path and query as sent on the request line (not normalised, not re-encoded). */
  path: string;
  headers: [string, string][];
  body?: Buffer;
  /** `length` sends Content-Length, `chunked` sends the body in two chunks without it. */
  framing: 'length' | 'chunked';
  /** `close` uses a new connection (Connection: close); `keep-alive` a pooled one. */
  connection: 'keep-alive' | 'close';
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What came back: a response, or why there was none. */
export type Outcome =
  | { kind: 'response'; response: WireResponse }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'network-error'; error: string }
  /** node:http itself refused to send the input (invalid token, header char, path): not sent. */
  | { kind: 'refused-by-client'; error: string };

const pool = new http.Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 8 });

/** Closes the pooled keep-alive sockets (call once at the end, or open handles keep jest alive). */
export function closeWirePool(): void {
  pool.destroy();
}

/**
 * One request through node:http with a hard deadline. A pooled socket that the server closed
 * right after its previous answer (it may, after an error) fails when reused before its FIN was
 * read; such a failure is retried once on a new connection, so it is not taken for the server's.
 */
export async function sendHttp(
  target: HttpTarget,
  request: WireRequest,
  timeoutMs: number,
): Promise<Outcome> {
  const first = await sendHttpOnce(target, request, timeoutMs, request.connection === 'close');
  if (first.outcome.kind === 'network-error' && first.reusedSocket) {
    return (await sendHttpOnce(target, request, timeoutMs, true)).outcome;
  }
  return first.outcome;
}

function sendHttpOnce(
  target: HttpTarget,
  request: WireRequest,
  timeoutMs: number,
  newConnection: boolean,
): Promise<{ outcome: Outcome; reusedSocket: boolean }> {
  return new Promise((resolve) => {
    const headers: [string, string][] = [...request.headers];
    // Headers given as a list are sent as they are: node:http adds no Host then.
    if (!headers.some(([name]) => name.toLowerCase() === 'host')) {
      headers.unshift(['host', `${target.host}:${target.port}`]);
    }
    if (newConnection) headers.push(['connection', 'close']);
    if (request.body !== undefined && request.framing === 'length') {
      headers.push(['content-length', String(request.body.length)]);
    }
    // node:http chunks a body by default only for methods that usually have one (not GET,
    // HEAD, DELETE, OPTIONS...): without the header it would write the bytes unframed.
    if (request.body !== undefined && request.framing === 'chunked') {
      headers.push(['transfer-encoding', 'chunked']);
    }
    let req: http.ClientRequest;
    let settled = false;
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', afterMs: timeoutMs });
      req?.destroy();
    }, timeoutMs);
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, reusedSocket: req?.reusedSocket ?? false });
    };
    try {
      req = http.request({
        host: target.host,
        port: target.port,
        method: request.method,
        path: request.path,
        headers: headers.flat(),
        agent: newConnection ? false : pool,
      });
    } catch (error) {
      finish({ kind: 'refused-by-client', error: String(error) });
      return;
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        finish({
          kind: 'response',
          response: {
            status: res.statusCode ?? 0,
            headers: flatHeaders(res.headers),
            body: Buffer.concat(chunks),
          },
        }),
      );
      res.on('error', (error) => finish({ kind: 'network-error', error: String(error) }));
      res.on('aborted', () => finish({ kind: 'network-error', error: 'response aborted' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        error.code?.startsWith('ERR_') && !error.code.startsWith('ERR_STREAM')
          ? { kind: 'refused-by-client', error: String(error) }
          : { kind: 'network-error', error: `${error.code ?? ''} ${error.message}`.trim() },
      ),
    );
    try {
      if (request.body === undefined) req.end();
      else if (request.framing === 'length') req.end(request.body);
      else {
        const half = Math.floor(request.body.length / 2);
        req.write(request.body.subarray(0, half));
        req.end(request.body.subarray(half));
      }
    } catch (error) {
      finish({ kind: 'refused-by-client', error: String(error) });
      req.destroy();
    }
  });
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export interface RawExchange {
  /** Everything the server sent (capped). */
  received: Buffer;
  /** The server closed (or reset) the connection before we gave up on it. */
  closedByServer: boolean;
  error?: string;
}

/**
 * Writes bytes on a new connection and reads until the server closes it or stays quiet: after
 * `idleMs` without a byte the write side is closed (FIN), so a server waiting for the rest of a
 * truncated request sees its end and can answer; `totalMs` bounds the whole exchange.
 */
export function sendRaw(
  target: HttpTarget,
  bytes: Buffer,
  { idleMs = 150, totalMs = 3000 }: { idleMs?: number; totalMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let halfClosed = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer, error });
    };
    const total = setTimeout(() => finish(false), totalMs);
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (!halfClosed) {
          halfClosed = true;
          socket.end();
          armIdle();
        } else if (size === 0 || responsesComplete(Buffer.concat(chunks))) {
          finish(false);
        } else {
          armIdle(); // a response is half way: wait for the rest (up to totalMs)
        }
      }, idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes, () => armIdle());
    });
    socket.on('data', (chunk: Buffer) => {
      if (size < MAX_BODY_BYTES) chunks.push(chunk);
      size += chunk.length;
      armIdle();
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(true, error.code ?? error.message));
  });
}
