import {
  CheckOptions,
  describeResponse,
  graphqlResponseProblems,
  outcomeProblems,
  rawResponseProblems,
  restResponseProblems,
} from './checks';
import { FuzzContext, TICKET_MARKER } from './context';
import type { GraphqlInput } from './graphql-arbitraries';
import { parseResponses } from './http-response';
import type { RawInput } from './raw-arbitraries';
import { renderRaw } from './raw-render';
import type { RestInput } from './rest-arbitraries';
import {
  HttpTarget,
  Outcome,
  WireRequest,
  WireResponse,
  sendHttp,
  sendRaw,
  targetOf,
} from './wire';

/**
 * Sends one generated input to the node under test and checks the answer: the glue between the
 * arbitraries, the wire and the checks. A result lists the violations (empty: the input passed).
 */

/**
 * The server's body limit (64 KiB) and Node's header limit (16 KiB): over them, the server may
 * answer and close before it has read the whole request, and the client may see the reset
 * before the answer (so a dropped connection is not a violation then; an answer still is checked).
 */
const BODY_LIMIT = 64 * 1024;
const HEAD_LIMIT = 16 * 1024;

export type Api = 'rest' | 'graphql';

export interface FuzzTarget {
  url: string;
  ctx: FuzzContext;
  /** The voting ticket now (substituted for TICKET_MARKER); TICKET_MARKER itself when unknown. */
  ticket?: () => string;
  /** Why the node is no longer healthy (a worker exited...), checked after each input. */
  liveness?: () => string | undefined;
  /** Deadline of one request (default 10 s). */
  requestTimeoutMs?: number;
}

export interface InputResult {
  problems: string[];
  /** What came back, as `status code` labels (for the coverage statistics). */
  answers: string[];
  /** The request as sent and what came back, for failure messages. */
  detail: string;
  /** For a batch: each input's violations and detail (a report shows only the relevant ones). */
  parts?: { problems: string[]; detail: string }[];
}

/** Thrown by a property on a violation: its message is what fc.assert reports under the counterexample. */
export class ContractViolation extends Error {
  constructor(readonly result: InputResult) {
    super(`${result.problems.join('\n')}\n${result.detail}`);
    this.name = 'ContractViolation';
  }
}

const show = (s: string, max = 600): string =>
  JSON.stringify(s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s);

function bodyBuffer(body: string | Uint8Array | undefined, ticket: string): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string'
    ? Buffer.from(body.replaceAll(TICKET_MARKER, ticket), 'utf8')
    : Buffer.from(body);
}

function describeRequest(request: WireRequest): string {
  const bulk = request.headers.filter(([n]) => n.startsWith('x-bulk-'));
  const headers = [
    ...request.headers
      .filter(([n]) => !n.startsWith('x-bulk-'))
      .map(([n, v]) => `${n}: ${show(v, 120)}`),
    ...(bulk.length === 0
      ? []
      : [`(+${bulk.length} x-bulk-N headers of ${bulk[0][1].length} chars)`]),
  ].join(' | ');
  const body =
    request.body === undefined
      ? '(no body)'
      : `body[${request.body.length}]=${show(request.body.toString('utf8'))}`;
  return `${request.method} ${show(request.path, 300)} ${request.framing}/${request.connection} headers: ${headers || '(none)'} ${body}`;
}

function describeOutcome(outcome: Outcome): string {
  return outcome.kind === 'response'
    ? describeResponse(outcome.response)
    : `${outcome.kind}: ${'error' in outcome ? outcome.error : ''}`;
}

/** `status CODE` of an answer: the REST code, the first GraphQL error code, or `data`. */
function answerLabel(r: WireResponse): string {
  let label = r.body.length === 0 ? 'empty' : 'not-json';
  try {
    const v = JSON.parse(r.body.toString('utf8'));
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first?.code === 'string') label = first.code;
    else if (Array.isArray(first?.errors))
      label = String(first.errors[0]?.extensions?.code ?? 'no-code');
    else if (first && 'data' in first) label = 'data';
    else label = 'json';
  } catch {
    // label stays
  }
  return `${r.status} ${label}`;
}

function livenessProblems(target: FuzzTarget): string[] {
  const problem = target.liveness?.();
  return problem === undefined ? [] : [problem];
}

async function runHttp(
  target: FuzzTarget,
  input: RestInput | GraphqlInput,
  check: (r: WireResponse, opts: CheckOptions) => string[],
): Promise<InputResult | undefined> {
  const ticket = target.ticket?.() ?? TICKET_MARKER;
  const headers = [...input.headers];
  if ('bulk' in input && input.bulk !== undefined) {
    const [count, length] = input.bulk;
    for (let i = 0; i < count; i++) headers.push([`x-bulk-${i}`, 'v'.repeat(length)]);
  }
  const request: WireRequest = {
    method: input.method,
    path: input.path.replaceAll(TICKET_MARKER, encodeURIComponent(ticket)),
    headers,
    body: bodyBuffer(input.body, ticket),
    framing: input.framing,
    connection: input.connection,
  };
  const headBytes =
    request.path.length + headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  const opts: CheckOptions = {
    head: input.method.toUpperCase() === 'HEAD',
    oversized: (request.body?.length ?? 0) > BODY_LIMIT || headBytes > HEAD_LIMIT,
  };
  const outcome = await sendHttp(httpTarget(target), request, target.requestTimeoutMs ?? 10_000);
  if (outcome.kind === 'refused-by-client') return undefined;
  const problems = outcomeProblems(outcome, (r) => check(r, opts), opts);
  if (outcome.kind !== 'response') await new Promise((r) => setTimeout(r, 20)); // let a crash show
  problems.push(...livenessProblems(target));
  return {
    problems,
    answers: [outcome.kind === 'response' ? answerLabel(outcome.response) : outcome.kind],
    detail: `request: ${describeRequest(request)}\nanswer: ${describeOutcome(outcome)}`,
  };
}

const targets = new Map<string, HttpTarget>();
function httpTarget(target: FuzzTarget): HttpTarget {
  let t = targets.get(target.url);
  if (!t) targets.set(target.url, (t = targetOf(target.url)));
  return t;
}

export function runRestInput(
  target: FuzzTarget,
  input: RestInput,
): Promise<InputResult | undefined> {
  return runHttp(target, input, restResponseProblems);
}

export function runGraphqlInput(
  target: FuzzTarget,
  input: GraphqlInput,
): Promise<InputResult | undefined> {
  return runHttp(target, input, graphqlResponseProblems);
}

/** Raw inputs of one run are sent at once, each on its own connection (they wait on idle timers). */
export async function runRawInputs(target: FuzzTarget, inputs: RawInput[]): Promise<InputResult> {
  const t = httpTarget(target);
  const ticket = target.ticket?.() ?? TICKET_MARKER;
  const results = await Promise.all(
    inputs.map(async (input) => {
      const { bytes, head } = renderRaw(input, `${t.host}:${t.port}`);
      const withTicket = Buffer.from(
        bytes.toString('latin1').replaceAll(TICKET_MARKER, ticket),
        'latin1',
      );
      const exchange = await sendRaw(t, withTicket);
      const parsed = parseResponses(exchange.received, { head });
      const problems = rawResponseProblems(parsed.responses, parsed.rest, { head });
      const answers = parsed.responses.map(describeResponse).join(' / ') || '(no answer)';
      return {
        problems,
        answers:
          parsed.responses.length === 0
            ? ['no answer']
            : parsed.responses.map((r) => `raw ${answerLabel(r)}`),
        detail: `raw request: ${show(withTicket.toString('latin1'))}\nanswer: ${answers}${exchange.error ? ` (${exchange.error})` : ''}`,
      };
    }),
  );
  const problems = [...new Set(results.flatMap((r) => r.problems))];
  problems.push(...livenessProblems(target));
  return {
    problems,
    answers: results.flatMap((r) => r.answers),
    parts: results,
    detail: results
      .filter((r) => r.problems.length > 0)
      .map((r) => r.detail)
      .join('\n'),
  };
}
