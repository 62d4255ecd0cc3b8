import fc from 'fast-check';
import { junkString } from './text';

/** JSON texts for bodies and fields: any value, odd number literals, deep nesting, broken JSON. */

/** JSON number literals, some beyond what a double or a safe integer holds. */
export const NUMBER_LITERALS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1.0',
  '1e0',
  '1E2',
  '1e999',
  '-1e999',
  '1e-999',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '18446744073709551616',
  '123456789012345678901234567890123456789',
  '2147483648',
  '-2147483649',
  '4294967296',
  '0.1e1',
  '5e-324',
  '1.7976931348623157e308',
];

/** A JSON text of any value, written out (so it can hold number literals JSON.stringify never writes). */
export const jsonText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 4 },
  { arbitrary: fc.constantFrom(...NUMBER_LITERALS), weight: 1 },
);

/** Values of every JSON type, for fields whose type is wrong (or right, by chance). */
export function anyFieldValue(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...NUMBER_LITERALS), weight: 3 },
    { arbitrary: fc.integer().map(String), weight: 2 },
    {
      arbitrary: fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '1e999')),
      weight: 1,
    },
    { arbitrary: junkString().map((s) => JSON.stringify(s)), weight: 3 },
    {
      arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[1]', '{"a":1}'),
      weight: 2,
    },
    { arbitrary: jsonText, weight: 2 },
    { arbitrary: deepJson(), weight: 1 },
  );
}

/** Deeply nested arrays or objects (balanced or not), up to tens of thousands of levels. */
export function deepJson(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('array', 'object', 'mixed'),
      fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 201, max: 20_000 })),
      fc.boolean(),
    )
    .map(([shape, depth, balanced]) => {
      const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '[{"a":';
      const close = shape === 'array' ? ']' : shape === 'object' ? '}' : '}]';
      const inner = shape === 'array' ? '' : '1';
      return open.repeat(depth) + inner + (balanced ? close.repeat(depth) : '');
    });
}

/** Texts that are almost JSON, or not at all. */
export const BROKEN_JSON = [
  '{',
  '}',
  '[',
  '{"a":}',
  '{"a":1,}',
  '[1,]',
  "{'a':1}",
  '{a:1}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '{"a":01}',
  '{"a":.5}',
  '{"a":1} {"b":2}',
  '{"a":1}garbage',
  '/* comment */ {}',
  '{"a":1 // comment\n}',
  '\ufeff{}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '{"a":"\u0001"}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  'null',
  'true',
  '"string"',
  '1',
  '[]',
  '{}',
  '',
  '   ',
  '\n',
  '\u0000',
  'username=root&password=toor',
  '<xml/>',
];

/** A valid JSON text broken by truncation, a dropped character or an inserted one. */
export function mangledJson(source: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      source,
      fc.nat(),
      fc.constantFrom('truncate', 'drop', 'insert'),
      fc.constantFrom(',', '"', '{', '}', '[', ']', ':', '\\', '\u0000', 'x', ' '),
    )
    .map(([text, at, how, ch]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      if (how === 'truncate') return text.slice(0, i);
      if (how === 'drop') return text.slice(0, i) + text.slice(i + 1);
      return text.slice(0, i) + ch + text.slice(i);
    });
}
