import fc from 'fast-check';
import { printCompact } from './text';

/**
 * Malformed HTTP for raw sockets: a well-formed request (REST or GraphQL, from the other
 * arbitraries) serialised by hand, then bent by a list of mutations (control bytes in header
 * values, broken framing, bad request lines, odd versions, pipelining, oversized heads) or
 * replaced by bytes that are not HTTP at all. Mutations are data, so fast-check shrinks them away
 * one by one down to the one that matters.
 */

export interface BaseRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body?: string | Uint8Array;
}

export type Mutation =
  | { op: 'control-in-header'; header: number; at: number; byte: string }
  | { op: 'control-in-target'; at: number; byte: string }
  | { op: 'line-ending'; ending: '\n' | '\r' | '\n\r' | '\r\r\n' }
  | { op: 'obs-fold'; header: number }
  | {
      op: 'header-syntax';
      header: number;
      how: 'space-before-colon' | 'no-colon' | 'empty-name' | 'junk-name' | 'utf8-name';
    }
  | { op: 'content-length'; value: string }
  | { op: 'content-length-delta'; delta: number }
  | { op: 'duplicate-content-length'; value: string }
  | {
      op: 'chunked';
      how:
        | 'valid'
        | 'bad-size'
        | 'no-terminator'
        | 'too-long'
        | 'extension'
        | 'with-length'
        | 'negative'
        | 'lf-only';
    }
  | { op: 'transfer-encoding'; value: string }
  | { op: 'version'; value: string }
  | { op: 'method'; value: string }
  | { op: 'target'; value: string }
  | {
      op: 'request-line';
      how:
        'double-space' | 'tab' | 'leading-crlf' | 'leading-junk' | 'no-version' | 'trailing-space';
    }
  | { op: 'host'; how: 'remove' | 'duplicate' | 'junk' | 'empty' }
  | { op: 'truncate'; at: number }
  | { op: 'pipeline'; what: 'same' | 'junk' | 'valid-get' | 'partial' }
  | { op: 'big-head'; how: 'long-value' | 'many-headers' | 'long-target' | 'long-name' }
  | { op: 'header'; name: string; value: string };

export interface RawInput {
  base: BaseRequest;
  mutations: Mutation[];
  /** Replaces the whole message with bytes that are not HTTP (latin1: one char per byte). */
  replace?: string;
}

const CONTROL_BYTES = [
  '\x00',
  '\x01',
  '\x07',
  '\x08',
  '\x0b',
  '\x0c',
  '\x0e',
  '\x1b',
  '\x7f',
  '\r',
  '\n',
  '\xff',
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('control-in-header' as const),
    header: fc.nat(8),
    at: fc.nat(),
    byte: fc.constantFrom(...CONTROL_BYTES),
  }),
  fc.record({
    op: fc.constant('control-in-target' as const),
    at: fc.nat(),
    byte: fc.constantFrom(...CONTROL_BYTES, ' ', '\t'),
  }),
  fc.record({
    op: fc.constant('line-ending' as const),
    ending: fc.constantFrom('\n' as const, '\r' as const, '\n\r' as const, '\r\r\n' as const),
  }),
  fc.record({ op: fc.constant('obs-fold' as const), header: fc.nat(8) }),
  fc.record({
    op: fc.constant('header-syntax' as const),
    header: fc.nat(8),
    how: fc.constantFrom(
      'space-before-colon' as const,
      'no-colon' as const,
      'empty-name' as const,
      'junk-name' as const,
      'utf8-name' as const,
    ),
  }),
  fc.record({
    op: fc.constant('content-length' as const),
    value: fc.constantFrom(
      'abc',
      '-1',
      '+5',
      '0x10',
      '99999999999999999999',
      ' 5',
      '5, 6',
      '',
      '1.5',
      '0',
      '70000',
      '1e3',
    ),
  }),
  fc.record({
    op: fc.constant('content-length-delta' as const),
    delta: fc.constantFrom(-10, -1, 1, 10, 1000),
  }),
  fc.record({
    op: fc.constant('duplicate-content-length' as const),
    value: fc.constantFrom('0', '1', '5', '100', 'x'),
  }),
  fc.record({
    op: fc.constant('chunked' as const),
    how: fc.constantFrom(
      'valid' as const,
      'bad-size' as const,
      'no-terminator' as const,
      'too-long' as const,
      'extension' as const,
      'with-length' as const,
      'negative' as const,
      'lf-only' as const,
    ),
  }),
  fc.record({
    op: fc.constant('transfer-encoding' as const),
    value: fc.constantFrom(
      'chunked, gzip',
      'gzip, chunked',
      'xchunked',
      'Chunked',
      'identity',
      'chunked, chunked',
      '',
      'gzip',
    ),
  }),
  fc.record({
    op: fc.constant('version' as const),
    value: fc.constantFrom(
      'HTTP/1.0',
      'HTTP/2.0',
      'HTTP/9.9',
      'HTTP/1.1x',
      'http/1.1',
      'HTTP/1.01',
      'HTTP/0.9',
      'HTTP/',
      'HTTPS/1.1',
      '',
    ),
  }),
  fc.record({
    op: fc.constant('method' as const),
    value: fc.constantFrom(
      'get',
      'FOO',
      'CONNECT',
      'G\x00T',
      'GET\t',
      '',
      'PRI',
      'M-SEARCH',
      'GE T',
      'ＧＥＴ',
      'DELETE',
      'OPTIONS',
      'TRACE',
    ),
  }),
  fc.record({
    op: fc.constant('target' as const),
    value: fc.constantFrom(
      'http://127.0.0.1/foods',
      'http://evil.example/graphql',
      '*',
      '',
      'example.com:80',
      '//foods',
      '/fo od',
      '/foods?a b',
      '/\xc3\xa9',
      '/%',
      'foods',
      '/graphql#x',
    ),
  }),
  fc.record({
    op: fc.constant('request-line' as const),
    how: fc.constantFrom(
      'double-space' as const,
      'tab' as const,
      'leading-crlf' as const,
      'leading-junk' as const,
      'no-version' as const,
      'trailing-space' as const,
    ),
  }),
  fc.record({
    op: fc.constant('host' as const),
    how: fc.constantFrom(
      'remove' as const,
      'duplicate' as const,
      'junk' as const,
      'empty' as const,
    ),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('pipeline' as const),
    what: fc.constantFrom(
      'same' as const,
      'junk' as const,
      'valid-get' as const,
      'partial' as const,
    ),
  }),
  fc.record({
    op: fc.constant('big-head' as const),
    how: fc.constantFrom(
      'long-value' as const,
      'many-headers' as const,
      'long-target' as const,
      'long-name' as const,
    ),
  }),
  fc.record({
    op: fc.constant('header' as const),
    name: fc.constantFrom(
      'expect',
      'upgrade',
      'connection',
      'content-encoding',
      'transfer-encoding',
      'x',
    ),
    value: fc.constantFrom(
      '100-continue',
      'websocket',
      'h2c',
      'Upgrade',
      'keep-alive, close',
      'close',
      'gzip',
      'chunked',
      'junk',
    ),
  }),
);

const NOT_HTTP = [
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
  'GET /foods\r\n',
  '\r\n\r\n\r\n',
  'GET',
  ' ',
  '\x00\x00\x00\x00',
  'SSH-2.0-OpenSSH_9.0\r\n',
  '{"query":"{ cas }"}',
];

export function rawInput(base: fc.Arbitrary<BaseRequest>): fc.Arbitrary<RawInput> {
  const input: fc.Arbitrary<RawInput> = fc.oneof(
    {
      arbitrary: fc.record({ base, mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
      weight: 12,
    },
    {
      arbitrary: fc.record({
        base,
        mutations: fc.constant([] as Mutation[]),
        replace: fc.oneof(
          fc.constantFrom(...NOT_HTTP),
          fc
            .uint8Array({ minLength: 1, maxLength: 200 })
            .map((b) => Buffer.from(b).toString('latin1')),
        ),
      }),
      weight: 1,
    },
  );
  return input.map((i) => printCompact({ ...i, base: { ...i.base } }));
}
