import type { ParsedResponse } from './http-response';
import type { Outcome, WireResponse } from './wire';

/**
 * The properties every answer must have, as lists of violations (empty: fine). Each violation
 * starts with a short stable kind (before the first ':'), which the survey groups by.
 */

export const JSON_UTF8 = 'application/json; charset=utf-8';

const normalise = (ct: string | undefined): string => (ct ?? '').toLowerCase().replace(/\s+/g, '');

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text after ' | ' is detail: the survey groups violations by what comes before. */
const detail = (v: unknown): string => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return ` | ${(text ?? String(v)).slice(0, 160)}`;
};

/** The shape of a JSON value for grouping: its type, or its sorted keys. */
function shapeOf(v: unknown): string {
  if (isObject(v)) return `{${Object.keys(v).sort().join(',')}}`;
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** A class of GraphQL error message, for grouping (the message itself varies with the input). */
export function graphqlErrorClass(message: unknown): string {
  if (typeof message !== 'string') return 'no message';
  if (message.startsWith('Syntax Error')) return 'syntax error';
  if (/^(body|querystring|headers)\b/.test(message)) {
    return `request schema (${message.split(' ')[0]})`;
  }
  if (message === 'Unknown query') return 'Unknown query';
  if (/JSON|^Unexpected (token|string|end|number|non-whitespace)/.test(message)) {
    return 'JSON parse error';
  }
  if (/^Variable "\$[^"]*" (got invalid|of required type|of non-null)/.test(message)) {
    return 'variable value error';
  }
  if (message.startsWith('Operation cannot be performed via a GET')) return 'mutation over GET';
  // graphql-js' validation rules (and the limits of mercurius and graphql-js on top of them).
  if (
    /^(Cannot|Unknown|Field|Fragment|Argument|Directive|The |There can be only one|Anonymous|This anonymous|Expected|String cannot|Int cannot|Float cannot|Boolean cannot|ID cannot|Enum|Subscription|Type|Fields|Value|Variable)/.test(
      message,
    )
  ) {
    return 'validation error';
  }
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .split(/\s+/)
    .slice(0, 5)
    .join(' ');
}

/** A REST error body: `{"code": string, "message": string}`. */
function isContractError(v: unknown): boolean {
  return isObject(v) && typeof v.code === 'string' && typeof v.message === 'string';
}

/** Violations of one GraphQL response object (an element of a batch, or the whole body). */
function graphqlBodyProblems(v: unknown, status: number): string[] {
  if (!isObject(v)) return [`graphql-not-object: ${shapeOf(v)}${detail(v)}`];
  // An error answered before the request is known to be GraphQL (a head too large, an HTTP
  // error) may come in the REST shape: it still carries its code.
  if (status >= 400 && !('errors' in v) && isContractError(v)) return [];
  const problems: string[] = [];
  if (!('errors' in v) && !('data' in v)) {
    return [`graphql-no-data-no-errors: ${status} ${shapeOf(v)}${detail(v)}`];
  }
  if ('errors' in v) {
    const errors = v.errors;
    if (!Array.isArray(errors) || errors.length === 0) {
      problems.push(`graphql-errors-not-array: ${shapeOf(errors)}${detail(errors)}`);
    } else {
      const bad = errors.filter(
        (e) =>
          !isObject(e) ||
          typeof e.message !== 'string' ||
          !isObject(e.extensions) ||
          typeof e.extensions.code !== 'string',
      );
      const internal = errors.filter(
        (e) => isObject(e) && isObject(e.extensions) && e.extensions.code === 'INTERNAL_ERROR',
      );
      if (internal.length > 0) {
        problems.push(`graphql-internal-error: ${status}${detail(internal[0])}`);
      }
      if (bad.length > 0) {
        for (const cls of new Set(
          bad.map((e) => graphqlErrorClass((e as { message?: unknown })?.message)),
        )) {
          const first = bad.find(
            (e) => graphqlErrorClass((e as { message?: unknown })?.message) === cls,
          );
          problems.push(`graphql-error-without-code: ${status} ${cls}${detail(first)}`);
        }
      }
    }
  } else if (status >= 400) {
    problems.push(`graphql-status-without-errors: ${status}${detail(v)}`);
  } else if (v.data === null || v.data === undefined) {
    problems.push('graphql-null-data-without-errors');
  }
  return problems;
}

export interface CheckOptions {
  /** A HEAD request: no body expected. */
  head?: boolean;
  /** The request body was over the 64 KiB limit: the server may close before reading it all. */
  oversized?: boolean;
}

/** The one success that is not JSON: `GET /metrics`, Prometheus text. Errors are JSON everywhere. */
function isMetricsText(r: WireResponse): boolean {
  return (
    r.status >= 200 &&
    r.status < 300 &&
    normalise(r.headers['content-type']).startsWith('text/plain;version=0.0.4')
  );
}

/** REST: status < 500; a body is JSON (Prometheus text for a 2xx of /metrics); an error body is `{code, message}` as JSON UTF-8. */
export function restResponseProblems(r: WireResponse, opts: CheckOptions = {}): string[] {
  const problems: string[] = [];
  if (r.status >= 500)
    problems.push(`status-5xx: ${r.status} ${codeOf(r.body)}${detail(r.body.toString('utf8'))}`);
  if (r.body.length === 0) {
    if (r.status >= 400 && !opts.head) problems.push(`error-without-body: ${r.status}`);
    return problems;
  }
  if (isMetricsText(r)) return problems;
  const parsed = parseJson(r.body);
  if (!parsed.ok) {
    problems.push(`body-not-json: ${r.status}${detail(r.body.toString('utf8'))}`);
    return problems;
  }
  if (r.status >= 400) {
    if (!isContractError(parsed.value)) {
      problems.push(
        `error-without-code: ${r.status} ${shapeOf(parsed.value)}${detail(parsed.value)}`,
      );
    } else if (normalise(r.headers['content-type']) !== normalise(JSON_UTF8)) {
      problems.push(`error-content-type: ${r.status} ${JSON.stringify(r.headers['content-type'])}`);
    }
  }
  return problems;
}

/** GraphQL: status < 500; a JSON body; every error carries a string `extensions.code`. */
export function graphqlResponseProblems(r: WireResponse, opts: CheckOptions = {}): string[] {
  const problems: string[] = [];
  if (r.status >= 500)
    problems.push(`status-5xx: ${r.status} ${codeOf(r.body)}${detail(r.body.toString('utf8'))}`);
  if (r.body.length === 0) {
    if (!opts.head) problems.push(`graphql-empty-body: ${r.status}`);
    return problems;
  }
  if (!normalise(r.headers['content-type']).includes('json')) {
    problems.push(`graphql-content-type: ${r.status} ${JSON.stringify(r.headers['content-type'])}`);
  }
  const parsed = parseJson(r.body);
  if (!parsed.ok) {
    problems.push(`body-not-json: ${r.status}${detail(r.body.toString('utf8'))}`);
    return problems;
  }
  const value = parsed.value;
  if (Array.isArray(value)) {
    if (r.status >= 400) problems.push(`graphql-batch-with-error-status: ${r.status}`);
    for (const element of value) problems.push(...graphqlBodyProblems(element, 200));
  } else {
    problems.push(...graphqlBodyProblems(value, r.status));
  }
  return [...new Set(problems)];
}

/**
 * A raw-socket exchange: when the server answered at all, each answer has a status < 500 and an
 * error answer is JSON with a code (the REST `{code, message}` or GraphQL's `errors[].extensions.code`:
 * a request the server cannot parse as HTTP cannot be known to be a GraphQL one).
 */
export function rawResponseProblems(
  responses: ParsedResponse[],
  rest: Buffer,
  { head = false }: { head?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (rest.length > 0) {
    problems.push(`raw-unparsable-answer: trailing bytes${detail(rest.toString('latin1'))}`);
  }
  for (const r of responses) {
    if (r.malformed) {
      problems.push(`raw-unparsable-answer: bad status line${detail(r.malformed)}`);
      continue;
    }
    if (r.status >= 100 && r.status < 200) continue;
    if (r.status >= 500)
      problems.push(`status-5xx: ${r.status} ${codeOf(r.body)}${detail(r.body.toString('utf8'))}`);
    if (r.truncated) problems.push(`raw-truncated-answer: ${r.status}`);
    if (r.body.length === 0) {
      if (r.status >= 400 && !r.truncated && !head)
        problems.push(`error-without-body: ${r.status}`);
      continue;
    }
    if (isMetricsText(r)) continue;
    const parsed = parseJson(r.body);
    if (!parsed.ok) {
      problems.push(`body-not-json: ${r.status}${detail(r.body.toString('utf8'))}`);
      continue;
    }
    if (r.status < 400) continue;
    const v = parsed.value;
    const graphqlShaped = isObject(v) && Array.isArray(v.errors);
    if (graphqlShaped) {
      problems.push(...graphqlBodyProblems(v, r.status));
    } else if (!isContractError(v)) {
      problems.push(`error-without-code: ${r.status} ${shapeOf(v)}${detail(v)}`);
    } else if (normalise(r.headers['content-type']) !== normalise(JSON_UTF8)) {
      problems.push(`error-content-type: ${r.status} ${JSON.stringify(r.headers['content-type'])}`);
    }
  }
  return [...new Set(problems)];
}

/** Violations of an HTTP outcome: a timeout, a connection dropped without an answer, or the answer's. */
export function outcomeProblems(
  outcome: Outcome,
  check: (r: WireResponse) => string[],
  opts: CheckOptions = {},
): string[] {
  switch (outcome.kind) {
    case 'response':
      return check(outcome.response);
    case 'timeout':
      return [`no-answer: nothing within ${outcome.afterMs} ms`];
    case 'network-error':
      return opts.oversized
        ? []
        : [`connection-dropped: ${outcome.error.split(' ')[0]}${detail(outcome.error)}`];
    default:
      return [];
  }
}

/** A short description of an answer for failure messages. */
export function describeResponse(r: WireResponse): string {
  const body = r.body.toString('utf8');
  return `HTTP ${r.status} content-type=${JSON.stringify(r.headers['content-type'])} body=${JSON.stringify(body.length > 300 ? `${body.slice(0, 300)}…(${body.length} bytes)` : body)}`;
}

/** The stable part of a violation, for grouping: its kind, status, and body shape. */
export function signatureOf(problem: string): string {
  return problem.split(' | ')[0];
}

function codeOf(body: Buffer): string {
  try {
    const v = JSON.parse(body.toString('utf8'));
    return isObject(v) && typeof v.code === 'string' ? v.code : shapeOf(v);
  } catch {
    return 'not JSON';
  }
}
