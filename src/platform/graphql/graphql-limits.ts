import {
  DocumentNode,
  getOperationAST,
  parse,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';

/** What one GraphQL document may ask for; a document over any of them is refused whole. */
export interface GraphqlLimits {
  /** Characters of the document text. */
  maxBytes: number;
  /** Lexical tokens (graphql-js stops parsing past it). */
  maxTokens: number;
  /** Fields of the API per document, aliases included, fragments counted where they are spread. */
  maxFields: number;
  /** Nesting of selections, fragments expanded. */
  maxDepth: number;
}

/**
 * Introspection (GraphiQL's schema fetch is about 200 fields once its fragments are expanded) is
 * bounded apart from the API's own fields: by this count, by the depth limit, and by allowing each
 * of the list fields below at most once on one path, so no query can walk the schema's cycles
 * (`types { fields { type { fields ... } } }`) and multiply its answer.
 */
const INTROSPECTION_MAX_FIELDS = 500;
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);
const INTROSPECTION_LISTS = new Set([
  'types',
  'fields',
  'inputFields',
  'interfaces',
  'possibleTypes',
  'enumValues',
  'args',
  'directives',
]);

const tooLarge = (detail: string): DomainError =>
  new DomainError(
    ErrorCode.QUERY_TOO_LARGE,
    `The document exceeds a limit: ${detail}; nothing of it ran`,
  );

/**
 * Checks that run on the raw text before mercurius parses or caches anything, so every request pays
 * them, cached documents included: they must stay O(1) or a single pass without allocation.
 *
 * The JSON check closes a side door: when a text does not parse as GraphQL, mercurius tries it as
 * JSON and, if that works, uses the value as a ready-made syntax tree, skipping the parser and its
 * token limit (`{"kind":"Document",...}`, or `true`, which then fails deep inside validation).
 * Every JSON text starts with `[`, `"`, a digit, `-`, `{"`, `{}` or is `true`/`false`/`null`, and
 * no executable GraphQL document does, so those are refused as parse failures here.
 */
export function checkSource(source: string, limits: GraphqlLimits): void {
  if (source.length > limits.maxBytes)
    throw tooLarge(`${source.length} characters, at most ${limits.maxBytes}`);
  if (looksLikeJson(source)) throw DomainError.of(ErrorCode.GRAPHQL_PARSE_FAILED);
}

/**
 * A GET request's extra checks, for what mercurius handles only on POST (where Fastify's schema
 * checks the body): `variables` must be a JSON object, and the operation to run must exist, which
 * mercurius looks up without checking (an empty or unknown `operationName` made it throw). GET
 * is the rare path (clients POST), so parsing the document here once more costs little.
 */
export function checkGetRequest(
  source: string,
  query: Record<string, unknown>,
  limits: GraphqlLimits,
): void {
  if (typeof query.variables === 'string') {
    let variables: unknown;
    try {
      variables = JSON.parse(query.variables);
    } catch {
      throw new DomainError(ErrorCode.BAD_REQUEST, '`variables` must be a JSON object');
    }
    if (variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
      throw new DomainError(ErrorCode.BAD_REQUEST, '`variables` must be a JSON object');
    }
  }
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: limits.maxTokens });
  } catch {
    return; // mercurius parses it again and reports the syntax error with its code
  }
  const name = typeof query.operationName === 'string' ? query.operationName : undefined;
  if (getOperationAST(document, name) === null) {
    throw new DomainError(
      ErrorCode.GRAPHQL_VALIDATION_FAILED,
      name === undefined
        ? 'The document has several operations: name one with `operationName`'
        : `No operation named "${name}" in the document`,
    );
  }
}

const SPACE = /[\s\uFEFF,]/;

function looksLikeJson(source: string): boolean {
  let i = 0;
  while (i < source.length && SPACE.test(source[i])) i++;
  const first = source[i];
  if (first === undefined) return false;
  if (first === '[' || first === '"' || first === '-' || (first >= '0' && first <= '9'))
    return true;
  if (first === '{') {
    let j = i + 1;
    while (j < source.length && SPACE.test(source[j])) j++;
    return source[j] === '"' || source[j] === '}';
  }
  const word = source.slice(i, i + 6).trimEnd();
  return (word === 'true' || word === 'false' || word === 'null') && source.trim() === word;
}

/**
 * A validation rule (it runs once per distinct document, before mercurius caches it) that counts
 * fields and depth with fragments expanded where they are spread. The walk stops as soon as a limit
 * is passed, so a document of nested fragments that would expand exponentially costs no more than
 * the limit itself. Fragment cycles are left to graphql-js' own NoFragmentCycles rule: the walk
 * only refuses to enter a fragment already on its path.
 */
export function documentLimitsRule(limits: GraphqlLimits): ValidationRule {
  return (context: ValidationContext) => {
    const document = context.getDocument();
    const problem = measure(document, limits);
    if (problem)
      context.reportError(
        new GraphQLError(tooLarge(problem).message, {
          extensions: { code: ErrorCode.QUERY_TOO_LARGE },
        }),
      );
    return {};
  };
}

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  limits: GraphqlLimits;
  apiFields: number;
  introspectionFields: number;
  problem?: string;
}

function measure(document: DocumentNode, limits: GraphqlLimits): string | undefined {
  const walk: Walk = { fragments: new Map(), limits, apiFields: 0, introspectionFields: 0 };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      walk.fragments.set(definition.name.value, definition);
  }
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION)
      visit(walk, definition.selectionSet, 1, [], new Set(), false);
    if (walk.problem) return walk.problem;
  }
  return undefined;
}

function visit(
  walk: Walk,
  set: SelectionSetNode,
  depth: number,
  lists: string[],
  spread: Set<string>,
  introspection: boolean,
): void {
  if (depth > walk.limits.maxDepth) {
    walk.problem = `nested deeper than ${walk.limits.maxDepth}`;
    return;
  }
  for (const selection of set.selections) {
    if (walk.problem) return;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const inside = introspection || INTROSPECTION_ROOTS.has(name);
      if (inside) {
        if (++walk.introspectionFields > INTROSPECTION_MAX_FIELDS)
          walk.problem = `more than ${INTROSPECTION_MAX_FIELDS} introspection fields`;
        else if (INTROSPECTION_LISTS.has(name) && lists.includes(name))
          walk.problem = `introspection field '${name}' nested in itself`;
      } else if (++walk.apiFields > walk.limits.maxFields) {
        walk.problem = `more than ${walk.limits.maxFields} fields (aliases included)`;
      }
      if (!walk.problem && selection.selectionSet) {
        const path = inside && INTROSPECTION_LISTS.has(name) ? [...lists, name] : lists;
        visit(walk, selection.selectionSet, depth + 1, path, spread, inside);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      visit(walk, selection.selectionSet, depth, lists, spread, introspection);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment || spread.has(fragment.name.value)) continue; // unknown or cyclic: validation reports it
      spread.add(fragment.name.value);
      visit(walk, fragment.selectionSet, depth, lists, spread, introspection);
      spread.delete(fragment.name.value);
    }
  }
}
