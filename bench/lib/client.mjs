// A small HTTP client for the bench's own set-up and audit requests (not for load: that is wrk).
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

/**
 * JSON request; resolves {status, headers, body, text} (body parsed when JSON), never throws on a
 * status.
 */
export function request(method, url, { body, token, timeoutMs = 30_000, fresh = false } = {}) {
  const target = new URL(url);
  if (token) target.searchParams.set('access_token', token);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers =
    payload === undefined
      ? {}
      : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { method, headers, agent: fresh ? false : agent, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${target.pathname} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function graphql(baseUrl, query, variables) {
  const reply = await request('POST', `${baseUrl}/graphql`, { body: { query, variables } });
  return {
    status: reply.status,
    data: reply.body?.data,
    errors: reply.body?.errors,
    text: reply.text,
  };
}

/** Runs `task` over `items` with at most `concurrency` at a time; resolves the results in order. */
export async function mapLimit(items, concurrency, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export function closeClient() {
  agent.destroy();
}
