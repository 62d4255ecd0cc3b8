import fc from 'fast-check';

/**
 * Text building blocks of the arbitraries: nasty strings, long runs, path segments, what node:http
 * accepts in a header value or on the request line, and compact printing of counterexamples.
 */
/** JSON with long strings and byte arrays abbreviated, for counterexamples one can read. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.length > 160) {
      return `${v.slice(0, 100)}…(${v.length} chars)…${v.slice(-30)}`;
    }
    if (v instanceof Uint8Array) {
      const hex = Buffer.from(v.subarray(0, 64)).toString('hex');
      return `<${v.length} bytes: ${hex}${v.length > 64 ? '…' : ''}>`;
    }
    return v;
  });
}

/** Makes fast-check print a value as compactJson (the seed and path still replay it exactly). */
export function printCompact<T extends object>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, {
    value: () => compactJson(value),
    enumerable: false,
  });
  return value;
}

/** `arb` once in `oneIn` draws, `undefined` otherwise (fc.option's freq is the other way round). */
export function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(undefined), weight: oneIn - 1 },
    { arbitrary: arb, weight: 1 },
  );
}

/** Connection modes: one request in six on a new connection (Connection: close). */
export const KEEP_ALIVE_MOSTLY = [
  ...Array.from({ length: 5 }, () => 'keep-alive' as const),
  'close' as const,
];

/** Strings that tend to break parsers, routers and validators. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t',
  '0',
  '-1',
  '1e3',
  '0x10',
  'null',
  'undefined',
  'true',
  'NaN',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '..',
  '../..',
  '%',
  '%00',
  '%zz',
  '\u0000',
  '\u0001\u0002\u001f',
  '\u007f',
  '\r\n',
  '\n',
  '\ufeff',
  '\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  'é',
  '食物',
  '🙂',
  'a'.repeat(1025),
  "'; DROP TABLE user; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '*',
  '?',
  '#',
  '&',
  '=',
  '/',
  '\\',
  'root',
  'toor',
];

/** Arbitrary text: ASCII, any code point, lone surrogates, or a known-nasty string. */
export function junkString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ maxLength }), weight: 4 },
    { arbitrary: fc.string({ unit: 'binary', maxLength }), weight: 3 },
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
    {
      arbitrary: fc.string({
        unit: fc.constantFrom('\ud800', '\udc00', '\u0000', '\u00ff', '\uffff', 'a', '"', '\\'),
        maxLength,
      }),
      weight: 1,
    },
  );
}

/** A long run of one character (or a short pattern): lengths around the server's limits. */
export function longString(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('a', '9', '%41', '食', '/', '.', '-', 'é'),
      fc.oneof(
        fc.integer({ min: 100, max: 20_000 }),
        fc.constantFrom(1023, 1024, 1025, 4096, 8192, 16383, 16384, 16385, 20000),
      ),
    )
    .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));
}

/** Characters node:http accepts in a header value (the rest become '?'). */
export function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** encodeURIComponent that also takes lone surrogates (as the invalid UTF-8 of one). */
export function encodeAny(s: string): string {
  return s.replace(/[^]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%ED%A0%80';
    }
  });
}

/**
 * A request target that is well-formed HTTP: printable ASCII only, everything else
 * percent-encoded (raw bytes >= 0x80 or controls are the raw-socket arbitraries' business).
 */
export function pathSafe(path: string): string {
  return path.replace(/[^\u0021-\u007e]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as its (invalid) UTF-8 bytes
    }
  });
}

/** Percent-encoding junk: invalid escapes, overlong UTF-8, encoded slashes and dots. */
export const PERCENT_JUNK = [
  '%',
  '%%',
  '%2',
  '%zz',
  '%g0',
  '%00',
  '%0a',
  '%0d%0a',
  '%20',
  '%2e',
  '%2e%2e',
  '%2f',
  '%2F',
  '%5c',
  '%25',
  '%2525',
  '%c0%af',
  '%c0%ae%c0%ae',
  '%e4%b8',
  '%ff',
  '%fe%ff',
  '%ed%a0%80',
  '%u0041',
  '%E9%A3%9F',
  '%F0%9F%99%82',
  '%3f',
  '%23',
  '%26',
  '%3d',
];

/** A path segment: words, nasty strings, percent junk, long runs. */
export function segment(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.webSegment(), weight: 12 },
    { arbitrary: junkString(12), weight: 8 },
    {
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom(...PERCENT_JUNK), fc.string({ maxLength: 3 })), {
          maxLength: 6,
        })
        .map((parts) => parts.join('')),
      weight: 8,
    },
    { arbitrary: fc.constantFrom('.', '..', '', ';', ';a=b', '~', '*'), weight: 2 },
    { arbitrary: longString(), weight: 1 },
  );
}
