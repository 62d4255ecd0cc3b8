import http from 'node:http';
import net from 'node:net';

export interface Reply<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** A JSON value (serialised) or a raw string sent as is. */
  body?: unknown;
  /** Sent as `?access_token=` unless `tokenIn: 'header'`. */
  token?: string;
  tokenIn?: 'query' | 'header';
  headers?: Record<string, string>;
  /** Open a new TCP connection for this request and close it after, like some contest clients. */
  newConnection?: boolean;
  timeoutMs?: number;
  /**
   * Content-Type sent with a body (default `application/json`, or `headers['content-type']`);
   * `null` sends the body with no Content-Type header at all, as some contest clients do.
   */
  contentType?: string | null;
}

/**
 * Bodies larger than the server reads (64 KiB) are answered (413) from the headers alone and the
 * socket closed while the client may still be writing: the unread bytes make the server's kernel
 * reset the connection, and node's client fails with EPIPE, the answer lost. Such requests go over
 * a raw socket that sends the headers, waits a moment for that early answer (as a client sending
 * `Expect: 100-continue` would), and sends the body only if none came.
 */
const EARLY_ANSWER_BYTES = 64 * 1024;

function rawExchange<T>(
  method: string,
  target: URL,
  headers: Record<string, string>,
  payload: string,
  timeoutMs: number,
): Promise<Reply<T>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    let raw = Buffer.alloc(0);
    const timer = setTimeout(
      () => socket.destroy(new Error(`${method} ${target.href} timed out`)),
      timeoutMs,
    );
    const finish = (outcome: Reply<T> | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    // Done once the head and Content-Length bytes of body are in: the server may keep the
    // connection open (reading and dropping the rest of the body) or reset it after answering.
    const parse = (): Reply<T> | undefined => {
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const replyHeaders: http.IncomingHttpHeaders = {};
      for (const line of lines) {
        replyHeaders[line.slice(0, line.indexOf(':')).toLowerCase()] = line
          .slice(line.indexOf(':') + 1)
          .trim();
      }
      const length = Number(replyHeaders['content-length'] ?? 0);
      if (raw.length < end + 4 + length) return undefined;
      const text = raw.subarray(end + 4, end + 4 + length).toString('utf8');
      const json = /json/.test(String(replyHeaders['content-type'] ?? ''));
      return {
        status: Number(statusLine.split(' ')[1]),
        headers: replyHeaders,
        body: (json ? JSON.parse(text) : text) as T,
        text,
      };
    };
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      const reply = parse();
      if (reply) finish(reply);
    });
    socket.on('error', () => undefined); // EPIPE or a reset once the server has answered: read what came
    socket.on('close', () => finish(parse() ?? new Error(`${method} ${target.href}: no answer`)));
    const head = Object.entries({ host: target.host, ...headers }).map(
      ([name, value]) => `${name}: ${value}\r\n`,
    );
    socket.write(`${method} ${target.pathname}${target.search} HTTP/1.1\r\n${head.join('')}\r\n`);
    setTimeout(() => {
      if (raw.length === 0 && !socket.destroyed) socket.end(payload);
    }, 300);
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A plain HTTP request to a running node; never throws on an HTTP status. */
export function request<T = any>(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const target = new URL(url);
  if (options.token !== undefined && options.tokenIn !== 'header')
    target.searchParams.set('access_token', options.token);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined && options.tokenIn === 'header')
    headers['access-token'] = options.token;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (options.contentType === null) delete headers['content-type'];
    else headers['content-type'] ??= options.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.newConnection) headers.connection = 'close';
  if (payload !== undefined && Buffer.byteLength(payload) > EARLY_ANSWER_BYTES) {
    return rawExchange<T>(
      method,
      target,
      { ...headers, connection: 'close' },
      payload,
      options.timeoutMs ?? 15_000,
    );
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      {
        method,
        headers,
        agent: options.newConnection ? false : keepAlive,
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text === '' ? undefined : text;
          if (text !== '' && /json/.test(res.headers['content-type'] ?? '')) {
            try {
              body = JSON.parse(text);
            } catch {
              // Not JSON after all: leave the raw text for the test to report.
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export type Metrics = Record<string, number | string | boolean | null>;

/** A process's `GET /metrics/json`: its counters and gauges by dotted name. */
export async function metricsOf(url: string): Promise<Metrics> {
  const reply = await request<Metrics>('GET', `${url}/metrics/json`);
  if (reply.status !== 200) throw new Error(`metrics: ${reply.status} ${reply.text}`);
  return reply.body;
}
