// A cold burst: `count` connections opened first, then one request written on every one of them
// in the same tick, so that the requests really are concurrent at the server.
import { connect } from 'node:net';

function open(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function exchange(socket, raw, timeoutMs) {
  return new Promise((resolve) => {
    const chunks = [];
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.once('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const at = text.indexOf('\r\n\r\n');
      let body;
      try {
        body = at >= 0 ? JSON.parse(text.slice(at + 4)) : undefined;
      } catch {
        body = undefined;
      }
      resolve({ status, body });
    });
    socket.on('error', () => undefined);
    socket.write(raw);
  });
}

/** POSTs `payload` (JSON) to `path` on `count` concurrent fresh connections; resolves the answers. */
export async function burst(port, path, payload, count, timeoutMs = 30_000) {
  const body = JSON.stringify(payload);
  const raw = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  const sockets = await Promise.all(Array.from({ length: count }, () => open(port)));
  const started = performance.now();
  const answers = await Promise.all(sockets.map((s) => exchange(s, raw, timeoutMs)));
  return { answers, ms: performance.now() - started };
}
