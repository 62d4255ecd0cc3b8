import type { RawInput } from './raw-arbitraries';

/** Renders a raw input (a base request bent by mutations) to the bytes sent on the socket. */

/** Latin1 text (one char per byte) of a body. */
function bodyBytes(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '';
  return (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)).toString(
    'latin1',
  );
}

interface Message {
  method: string;
  target: string;
  version: string;
  headers: string[];
  body: string;
  lineEnding: string;
  requestLineSeparator: string;
  prefix: string;
  suffix: string;
  truncateAt?: number;
  noVersion: boolean;
}

/** The bytes of a raw input, and whether it is a HEAD request (answered without a body). */
export function renderRaw(input: RawInput, host: string): { bytes: Buffer; head: boolean } {
  if (input.replace !== undefined)
    return { bytes: Buffer.from(input.replace, 'latin1'), head: false };
  const base = input.base;
  const body = bodyBytes(base.body);
  const m: Message = {
    method: base.method,
    target: base.path,
    version: 'HTTP/1.1',
    headers: [`Host: ${host}`, ...base.headers.map(([n, v]) => `${n}: ${v}`)],
    body,
    lineEnding: '\r\n',
    requestLineSeparator: ' ',
    prefix: '',
    suffix: '',
    noVersion: false,
  };
  if (body !== '' || base.method === 'POST') m.headers.push(`Content-Length: ${body.length}`);
  m.headers.push('Connection: close');
  const pick = (i: number): number => (m.headers.length === 0 ? -1 : i % m.headers.length);
  for (const mut of input.mutations) {
    switch (mut.op) {
      case 'control-in-header': {
        const i = pick(mut.header);
        if (i < 0) break;
        const line = m.headers[i];
        const colon = line.indexOf(':') + 1;
        const at = colon + (mut.at % Math.max(1, line.length - colon + 1));
        m.headers[i] = line.slice(0, at) + mut.byte + line.slice(at);
        break;
      }
      case 'control-in-target': {
        const at = mut.at % (m.target.length + 1);
        m.target = m.target.slice(0, at) + mut.byte + m.target.slice(at);
        break;
      }
      case 'line-ending':
        m.lineEnding = mut.ending;
        break;
      case 'obs-fold': {
        const i = pick(mut.header);
        if (i >= 0) m.headers[i] = `${m.headers[i]}\r\n folded`;
        break;
      }
      case 'header-syntax': {
        const i = pick(mut.header);
        if (i < 0) break;
        const [name, ...rest] = m.headers[i].split(':');
        const value = rest.join(':');
        m.headers[i] =
          mut.how === 'space-before-colon'
            ? `${name} :${value}`
            : mut.how === 'no-colon'
              ? `${name}${value}`
              : mut.how === 'empty-name'
                ? `:${value}`
                : mut.how === 'junk-name'
                  ? `${name}(@)[]:${value}`
                  : `${name}\xc3\xa9:${value}`;
        break;
      }
      case 'content-length':
        m.headers = m.headers.filter((h) => !/^content-length:/i.test(h));
        m.headers.push(`Content-Length: ${mut.value}`);
        break;
      case 'content-length-delta':
        m.headers = m.headers.filter((h) => !/^content-length:/i.test(h));
        m.headers.push(`Content-Length: ${Math.max(0, m.body.length + mut.delta)}`);
        break;
      case 'duplicate-content-length':
        m.headers.push(`Content-Length: ${mut.value}`);
        break;
      case 'chunked': {
        const withLength = mut.how === 'with-length';
        if (!withLength) m.headers = m.headers.filter((h) => !/^content-length:/i.test(h));
        m.headers.push('Transfer-Encoding: chunked');
        const half = Math.floor(m.body.length / 2);
        const chunk = (s: string): string =>
          s === '' ? '' : `${s.length.toString(16)}\r\n${s}\r\n`;
        const parts = [m.body.slice(0, half), m.body.slice(half)];
        switch (mut.how) {
          case 'bad-size':
            m.body = `zz\r\n${m.body}\r\n0\r\n\r\n`;
            break;
          case 'no-terminator':
            m.body = parts.map(chunk).join('');
            break;
          case 'too-long':
            m.body = `${(m.body.length + 100).toString(16)}\r\n${m.body}\r\n0\r\n\r\n`;
            break;
          case 'extension':
            m.body = `${parts.map((p) => (p === '' ? '' : `${p.length.toString(16)};ext="\x01"\r\n${p}\r\n`)).join('')}0\r\n\r\n`;
            break;
          case 'negative':
            m.body = `-1\r\n${m.body}\r\n0\r\n\r\n`;
            break;
          case 'lf-only':
            m.body = `${parts.map((p) => (p === '' ? '' : `${p.length.toString(16)}\n${p}\n`)).join('')}0\n\n`;
            break;
          default:
            m.body = `${parts.map(chunk).join('')}0\r\n\r\n`;
        }
        break;
      }
      case 'transfer-encoding':
        m.headers.push(`Transfer-Encoding: ${mut.value}`);
        break;
      case 'version':
        m.version = mut.value;
        break;
      case 'method':
        m.method = mut.value;
        break;
      case 'target':
        m.target = mut.value;
        break;
      case 'request-line':
        if (mut.how === 'double-space') m.requestLineSeparator = '  ';
        else if (mut.how === 'tab') m.requestLineSeparator = '\t';
        else if (mut.how === 'leading-crlf') m.prefix = '\r\n';
        else if (mut.how === 'leading-junk') m.prefix = '\x00junk ';
        else if (mut.how === 'no-version') m.noVersion = true;
        else m.version = `${m.version} `;
        break;
      case 'host':
        if (mut.how === 'remove') m.headers = m.headers.filter((h) => !/^host:/i.test(h));
        else if (mut.how === 'duplicate') m.headers.push('Host: other.example');
        else if (mut.how === 'junk') m.headers.push('Host: a b\x01c');
        else m.headers = m.headers.map((h) => (/^host:/i.test(h) ? 'Host:' : h));
        break;
      case 'truncate':
        m.truncateAt = mut.at;
        break;
      case 'pipeline':
        m.headers = m.headers.filter((h) => !/^connection:/i.test(h));
        m.suffix +=
          mut.what === 'same'
            ? '\u0000SAME'
            : mut.what === 'junk'
              ? 'JUNK /x\x01 HTTP/1.1\r\n\r\n'
              : mut.what === 'valid-get'
                ? `GET /health/live HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`
                : 'GET /foods HTTP/1.1\r\nHo';
        break;
      case 'big-head':
        if (mut.how === 'long-value') m.headers.push(`X-Long: ${'a'.repeat(17_000)}`);
        else if (mut.how === 'many-headers') {
          for (let i = 0; i < 2100; i++) m.headers.push(`X-H${i}: ${i}`);
        } else if (mut.how === 'long-target') m.target = `${m.target}${'a'.repeat(17_000)}`;
        else m.headers.push(`${'X'.repeat(17_000)}: 1`);
        break;
      case 'header':
        m.headers.push(`${mut.name}: ${mut.value}`);
        break;
    }
  }
  const e = m.lineEnding;
  const requestLine = m.noVersion
    ? `${m.method}${m.requestLineSeparator}${m.target}`
    : [m.method, m.target, m.version].join(m.requestLineSeparator);
  let text = `${m.prefix}${requestLine}${e}${m.headers.map((h) => `${h}${e}`).join('')}${e}${m.body}`;
  if (m.suffix.includes('\u0000SAME')) text += text;
  text += m.suffix.replace('\u0000SAME', '');
  if (m.truncateAt !== undefined) text = text.slice(0, m.truncateAt % (text.length + 1));
  return {
    bytes: Buffer.from(text, 'latin1'),
    head: m.method.toUpperCase() === 'HEAD',
  };
}
