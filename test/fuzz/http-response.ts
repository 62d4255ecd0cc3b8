import type { WireResponse } from './wire';

/** A small HTTP/1.x response parser for what a server sends on a raw socket. */

export interface ParsedResponse extends WireResponse {
  /** The body ended before its Content-Length or last chunk (connection closed mid-body). */
  truncated: boolean;
  /** The head itself did not parse as HTTP/1.x. */
  malformed?: string;
}

/**
 * Splits what a server sent on one connection into responses (Content-Length, chunked, or to the
 * end of the stream), interim 1xx responses included. `rest` is what could not be parsed.
 */
export function parseResponses(
  bytes: Buffer,
  { head = false }: { head?: boolean } = {},
): { responses: ParsedResponse[]; rest: Buffer } {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) {
      return { responses, rest: bytes.subarray(offset) };
    }
    const headText = bytes.subarray(offset, headEnd).toString('latin1');
    const [statusLine, ...lines] = headText.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
    if (!match) {
      responses.push({
        status: 0,
        headers: {},
        body: bytes.subarray(offset),
        truncated: false,
        malformed: `status line ${JSON.stringify(statusLine.slice(0, 80))}`,
      });
      return { responses, rest: Buffer.alloc(0) };
    }
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    offset = headEnd + 4;
    const interim = status >= 100 && status < 200;
    // The answer to a HEAD has no body, unless the server sent one anyway (an error written
    // before the method was known): then the bytes that follow are not a next response.
    const rest = bytes.subarray(offset);
    const headWithoutBody =
      head && (rest.length === 0 || rest.subarray(0, 7).toString('latin1') === 'HTTP/1.');
    const noBody = interim || status === 204 || status === 304 || headWithoutBody;
    let body: Buffer = Buffer.alloc(0);
    let truncated = false;
    if (!noBody) {
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const chunks: Buffer[] = [];
        truncated = true;
        for (;;) {
          const lineEnd = bytes.indexOf('\r\n', offset);
          if (lineEnd < 0) break;
          const size = parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
          if (!Number.isFinite(size)) break;
          offset = lineEnd + 2;
          if (size === 0) {
            const trailerEnd = bytes.indexOf('\r\n', offset);
            offset = trailerEnd < 0 ? bytes.length : trailerEnd + 2;
            truncated = false;
            break;
          }
          chunks.push(bytes.subarray(offset, offset + size));
          offset += size + 2;
          if (offset > bytes.length) break;
        }
        body = Buffer.concat(chunks);
      } else if (headers['content-length'] !== undefined) {
        const length = Number(headers['content-length']);
        body = bytes.subarray(offset, offset + length);
        truncated = body.length < length;
        offset += body.length;
      } else {
        body = bytes.subarray(offset);
        offset = bytes.length;
      }
    }
    responses.push({ status, headers, body, truncated });
    if (status === 101) break; // switched protocols: what follows is not HTTP/1.x
  }
  return { responses, rest: Buffer.alloc(0) };
}

/** True when the bytes are whole responses (so nothing is left to wait for). */
export function responsesComplete(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  const parsed = parseResponses(bytes);
  return parsed.rest.length === 0 && parsed.responses.every((r) => !r.truncated);
}
