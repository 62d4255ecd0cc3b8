import fc from 'fast-check';
import type { FuzzContext } from './context';
import { encodeAny, headerSafe, junkString, longString } from './text';

/** Pieces of an HTTP request that node:http sends as they are: methods, content types, headers, tokens. */

export const REAL_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'];
/** Methods node:http sends; llhttp knows some of them, not all. CONNECT is left to raw sockets. */
export const ODD_METHODS = [
  'TRACE',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'PURGE',
  'REPORT',
  'QUERY',
  'LINK',
  'UNLINK',
  'SOURCE',
  'NOTIFY',
  'SUBSCRIBE',
  'M-SEARCH',
  'MERGE',
  'FOO',
  'GETS',
  'get',
  'Post',
];

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json;;;',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'multipart/form-data',
  'application/octet-stream',
  'application/graphql',
  'application/xml',
  '*/*',
  '',
  ';',
  'json',
  'application/',
  '/json',
];

const KNOWN_HEADERS: [string, string[]][] = [
  ['accept', ['application/json', '*/*', 'text/html', 'application/xml', '', 'x/y;q=0.1']],
  ['accept-encoding', ['gzip', 'br', 'deflate', 'identity', '*', 'gzip;q=0, *;q=0']],
  ['accept-charset', ['utf-8', 'latin1', 'utf-16']],
  ['content-encoding', ['gzip', 'deflate', 'br', 'identity', 'compress', 'x-junk']],
  ['authorization', ['Bearer x', 'Basic cm9vdDp0b29y', '', 'Bearer']],
  ['x-forwarded-for', ['1.2.3.4', 'unknown', '::1, 127.0.0.1', '']],
  ['x-http-method-override', ['DELETE', 'PATCH', 'GET', 'FOO']],
  ['cookie', ['a=b', 'access_token=x', '', ';;;']],
  ['origin', ['http://evil.example', 'null', '']],
  ['range', ['bytes=0-1', 'bytes=-1', 'bytes=junk']],
  ['if-none-match', ['*', '"x"']],
  ['if-modified-since', ['Thu, 01 Jan 1970 00:00:00 GMT', 'junk']],
  ['te', ['trailers', 'gzip']],
  ['expect', ['100-continue', 'junk']],
  ['host', ['localhost', '', 'a.b.c.d.e', '[::1]:99999', 'evil.example:80']],
  ['x-request-id', ['1', '']],
  ['keep-alive', ['timeout=1', 'junk']],
];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}$/;
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'upgrade']);

export function headerPair(): fc.Arbitrary<[string, string]> {
  const known = fc
    .constantFrom(...KNOWN_HEADERS)
    .chain(([name, values]) =>
      fc.tuple(
        fc.constant(name),
        fc.oneof(fc.constantFrom(...values), junkString(30).map(headerSafe)),
      ),
    );
  const random = fc.tuple(
    fc.stringMatching(HEADER_NAME).filter((n) => !RESERVED.has(n.toLowerCase())),
    fc
      .oneof({ arbitrary: junkString(30), weight: 15 }, { arbitrary: longString(), weight: 1 })
      .map(headerSafe),
  );
  return fc.oneof({ arbitrary: known, weight: 3 }, { arbitrary: random, weight: 2 });
}

/** A token: a real one, a real one slightly wrong, or anything. */
export function tokenValue(ctx: FuzzContext): fc.Arbitrary<string> {
  const real = fc.constantFrom(...ctx.tokens.map((t) => t.token));
  const mangled = fc
    .tuple(
      real,
      fc.nat(),
      fc.constantFrom('truncate', 'flip', 'append', 'upper', 'twice', 'space', 'percent'),
    )
    .map(([token, at, how]) => {
      const i = at % token.length;
      switch (how) {
        case 'truncate':
          return token.slice(0, i);
        case 'flip':
          return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        case 'append':
          return `${token}=`;
        case 'upper':
          return token.toUpperCase();
        case 'twice':
          return token + token;
        case 'space':
          return ` ${token} `;
        default:
          return encodeAny(token).replace(/./, '%');
      }
    });
  return fc.oneof(
    { arbitrary: real, weight: 10 },
    { arbitrary: mangled, weight: 6 },
    { arbitrary: junkString(40), weight: 4 },
    { arbitrary: longString(), weight: 1 },
    { arbitrary: fc.base64String({ maxLength: 80 }), weight: 2 },
  );
}

/** Where the token goes: nowhere, the Access-Token header, the query, both, or twice. */
export type TokenPlacement =
  | { in: 'none' }
  | { in: 'header' | 'query' | 'query-array'; value: string }
  | { in: 'both' | 'header-twice'; value: string; other: string };

export function tokenPlacement(ctx: FuzzContext): fc.Arbitrary<TokenPlacement> {
  const token = tokenValue(ctx);
  return fc.oneof(
    { arbitrary: fc.constant({ in: 'none' as const }), weight: 2 },
    {
      arbitrary: fc.record({
        in: fc.constantFrom('header' as const, 'query' as const),
        value: token,
      }),
      weight: 6,
    },
    { arbitrary: fc.record({ in: fc.constant('query-array' as const), value: token }), weight: 1 },
    {
      arbitrary: fc.record({
        in: fc.constantFrom('both' as const, 'header-twice' as const),
        value: token,
        other: token,
      }),
      weight: 1,
    },
  );
}
