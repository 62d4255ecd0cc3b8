import fc from 'fast-check';
import { TICKET_MARKER } from './context';

const gqlString = (s: string): string => JSON.stringify(s);

/** Documents that cost the server: depth, breadth, cycles, quadratic validation. */
export function abusiveDocument(username: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const size = fc.oneof(
    { arbitrary: fc.integer({ min: 2, max: 64 }), weight: 3 },
    { arbitrary: fc.integer({ min: 65, max: 10_000 }), weight: 2 },
  );
  const leaf = fc.oneof(
    fc.constant('cas'),
    fc.constant('__typename'),
    username.map((u) => `query(username: ${gqlString(u)})`),
  );
  return fc.oneof(
    // Deep selection sets: unknown fields, a leaf with a sub-selection, inline fragments.
    fc
      .tuple(size, fc.constantFrom('a', 'cas', '... on Query', '__schema'))
      .map(([n, f]) => `{ ${`${f} { `.repeat(n)}__typename${' }'.repeat(n)} }`),
    // Deep but valid introspection.
    fc
      .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom('ofType', 'fields { type'))
      .map(([n, f]) => {
        const close = f === 'ofType' ? ' }' : ' } }';
        return `{ __schema { types { ${`${f} { `.repeat(n)}name${close.repeat(n)} } } }`;
      }),
    // Deep argument values.
    fc.tuple(size, fc.constantFrom('[', '{a: ')).map(([n, open]) => {
      const close = open === '[' ? ']' : '}';
      return `{ query(username: ${open.repeat(n)}"x"${close.repeat(n)}) }`;
    }),
    // Many aliased fields.
    fc
      .tuple(size, leaf)
      .map(([n, f]) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${f}`).join(' ')} }`),
    // The same response name many times (quadratic overlap validation), with or without conflicts.
    fc
      .tuple(size, fc.boolean())
      .map(([n, conflict]) =>
        conflict
          ? `{ ${Array.from({ length: n }, (_, i) => `query(username: "u${i}")`).join(' ')} }`
          : `{ ${'cas '.repeat(n)}}`,
      ),
    // Many aliased votes in one mutation.
    fc
      .tuple(size, username)
      .map(
        ([n, u]) =>
          `mutation { ${Array.from({ length: n }, (_, i) => `v${i}: vote(usernames: ["${u}"], ticket: "${TICKET_MARKER}")`).join(' ')} }`,
      ),
    // Fragment cycles: self-spreading, mutual, and long chains; and fragment fan-out.
    fc.constantFrom(
      'query { ...A } fragment A on Query { ...A }',
      'fragment A on Query { ...A }',
      'query { ...A } fragment A on Query { cas ...B } fragment B on Query { ...A }',
      '{ ...A } fragment A on Query { ... on Query { ...A } }',
    ),
    size.map((n) => {
      const defs = Array.from(
        { length: n },
        (_, i) => `fragment F${i} on Query { cas ...F${(i + 1) % n} }`,
      );
      return `{ ...F0 } ${defs.join(' ')}`;
    }),
    size.map((n) => {
      const defs = Array.from({ length: n }, (_, i) =>
        i === n - 1
          ? `fragment F${i} on Query { cas }`
          : `fragment F${i} on Query { ...F${i + 1} a${i}: __typename ...F${i + 1} }`,
      );
      return `{ ...F0 } ${defs.join(' ')}`;
    }),
    // Many directives, variables, operations, unknown fields.
    size.map((n) => `{ cas ${'@include(if: true) '.repeat(n)}}`),
    size.map(
      (n) => `query Q(${Array.from({ length: n }, (_, i) => `$v${i}: String`).join(', ')}) { cas }`,
    ),
    size.map((n) => Array.from({ length: n }, (_, i) => `query Q${i % 3} { cas }`).join(' ')),
    size.map((n) => `{ ${Array.from({ length: n }, (_, i) => `x${i}`).join(' ')} }`),
  );
}
