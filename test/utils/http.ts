import http from 'node:http';

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

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A plain HTTP request to a running node; never throws on an HTTP status. */
export function request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<Reply<T>> {
  const target = new URL(url);
  if (options.token !== undefined && options.tokenIn !== 'header') target.searchParams.set('access_token', options.token);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined && options.tokenIn === 'header') headers['access-token'] = options.token;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (options.contentType === null) delete headers['content-type'];
    else headers['content-type'] ??= options.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.newConnection) headers.connection = 'close';
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { method, headers, agent: options.newConnection ? false : keepAlive, timeout: options.timeoutMs ?? 15_000 },
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

/** A node's `GET /metrics`: its per-process counters and gauges. */
export async function metricsOf(url: string): Promise<Metrics> {
  const reply = await request<Metrics>('GET', `${url}/metrics`);
  if (reply.status !== 200) throw new Error(`metrics: ${reply.status} ${reply.text}`);
  return reply.body;
}
