import fc from 'fast-check';
import { signatureOf } from './checks';
import {
  Api,
  FuzzTarget,
  InputResult,
  ContractViolation,
  runGraphqlInput,
  runRawInputs,
  runRestInput,
} from './execute';
import { GraphqlInput, graphqlInput } from './graphql-arbitraries';
import { RawInput, rawInput } from './raw-arbitraries';
import { RestInput, restInput } from './rest-arbitraries';

/**
 * The fuzz runner: one property per channel (REST or GraphQL, over node:http or raw sockets)
 * against one node, run with fc.assert (so a failure is shrunk to a minimal counterexample), and
 * a survey mode that runs the same inputs, groups every violation by kind and shrinks one
 * counterexample of each.
 */

export type { FuzzTarget } from './execute';

/** One property per channel; each run is one input (raw: a small batch sent at once). */
export interface Channel<T> {
  name: string;
  api: Api;
  arbitrary: fc.Arbitrary<T>;
  run(input: T): Promise<InputResult | undefined>;
  /** How often each answer label came back (shrinking included). */
  stats: Map<string, number>;
}

function counted<T>(
  run: (input: T) => Promise<InputResult | undefined>,
  stats: Map<string, number>,
) {
  return async (input: T): Promise<InputResult | undefined> => {
    const result = await run(input);
    for (const a of result?.answers ?? ['not sent']) stats.set(a, (stats.get(a) ?? 0) + 1);
    return result;
  };
}

/** The most frequent answers of a channel, one line. */
export function formatStats(channel: Channel<unknown>, top = 30): string {
  const total = [...channel.stats.values()].reduce((a, b) => a + b, 0);
  const entries = [...channel.stats.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return `${channel.name}: ${total} answers: ${entries.map(([k, n]) => `${k} ×${n}`).join(', ')}`;
}

/** Raw inputs per run: sent at once, each on its own connection (each may wait on idle timers). */
export const RAW_BATCH = 4;

export function channels(target: FuzzTarget): Record<string, Channel<any>> {
  const ctx = target.ctx;
  const rest = restInput(ctx);
  const graphql = graphqlInput(ctx);
  const stats: Record<string, Map<string, number>> = {};
  return {
    rest: {
      name: 'REST over HTTP',
      api: 'rest',
      arbitrary: rest,
      run: counted((input: RestInput) => runRestInput(target, input), (stats.rest = new Map())),
      stats: stats.rest,
    },
    restRaw: {
      name: 'REST over raw sockets',
      api: 'rest',
      arbitrary: fc.array(rawInput(rest), { minLength: 1, maxLength: RAW_BATCH }),
      run: counted(
        (inputs: RawInput[]) => runRawInputs(target, inputs),
        (stats.restRaw = new Map()),
      ),
      stats: stats.restRaw,
    },
    graphql: {
      name: 'GraphQL over HTTP',
      api: 'graphql',
      arbitrary: graphql,
      run: counted(
        (input: GraphqlInput) => runGraphqlInput(target, input),
        (stats.graphql = new Map()),
      ),
      stats: stats.graphql,
    },
    graphqlRaw: {
      name: 'GraphQL over raw sockets',
      api: 'graphql',
      arbitrary: fc.array(rawInput(graphql), { minLength: 1, maxLength: RAW_BATCH }),
      run: counted(
        (inputs: RawInput[]) => runRawInputs(target, inputs),
        (stats.graphqlRaw = new Map()),
      ),
      stats: stats.graphqlRaw,
    },
  };
}

/** The property of a channel: no violation (optionally: none of one kind, for the survey). */
export function propertyOf<T>(channel: Channel<T>, only?: string): fc.IAsyncPropertyWithHooks<[T]> {
  return fc.asyncProperty(channel.arbitrary, async (input) => {
    const result = await channel.run(input);
    fc.pre(result !== undefined); // node:http refused to send it: not an input of this channel
    if (only === undefined) {
      if (result.problems.length > 0) throw new ContractViolation(result);
      return;
    }
    const relevant = (problems: string[]): string[] =>
      problems.filter((p) => signatureOf(p) === only);
    const problems = relevant(result.problems);
    if (problems.length === 0) return;
    const detail =
      result.parts
        ?.filter((part) => relevant(part.problems).length > 0)
        .map((part) => part.detail)
        .join('\n') ?? result.detail;
    throw new ContractViolation({ ...result, problems, detail });
  });
}

export interface AssertOptions {
  numRuns: number;
  timeLimitMs: number;
  seed?: number;
  /** With `seed`: replays the counterexample fast-check printed (its `path`). */
  path?: string;
}

/** fc.assert with a time bound: not reaching numRuns in time is a failure too. */
export async function assertChannel<T>(channel: Channel<T>, opts: AssertOptions): Promise<void> {
  await fc.assert(propertyOf(channel), {
    numRuns: opts.numRuns,
    seed: opts.seed,
    path: opts.path,
    maxSkipsPerRun: 1,
    includeErrorInReport: true,
    plugins: [fc.interruptAfterTimeLimit(opts.timeLimitMs, { failOnInterrupt: true })],
  });
}

export interface SurveyEntry {
  signature: string;
  count: number;
  firstRun: number;
  /** fc's report for the shrunk counterexample (or the first one when shrinking ran out of time). */
  report?: string;
  firstDetail: string;
}

/**
 * Runs `numRuns` inputs without stopping at a failure, groups violations by signature, then
 * shrinks one counterexample per signature with fc.assert on the same seed (so it meets the same
 * input again) and a property that fails on that signature only.
 */
export async function surveyChannel<T>(
  channel: Channel<T>,
  opts: AssertOptions & { shrinkTimeLimitMs?: number; log?: (line: string) => void },
): Promise<SurveyEntry[]> {
  const seed = opts.seed ?? Date.now() ^ (Math.random() * 0x100000000);
  const entries = new Map<string, SurveyEntry>();
  let run = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(channel.arbitrary, async (input) => {
      run++;
      const result = await channel.run(input);
      for (const problem of result?.problems ?? []) {
        const signature = signatureOf(problem);
        const entry = entries.get(signature);
        if (entry) entry.count++;
        else {
          const parts = result!.parts?.filter((p) =>
            p.problems.some((q) => signatureOf(q) === signature),
          );
          const shown = parts?.map((p) => p.detail).join('\n') ?? result!.detail;
          entries.set(signature, {
            signature,
            count: 1,
            firstRun: run,
            firstDetail: `${problem}\n${shown}`,
          });
          opts.log?.(`[${channel.name}] new violation at run ${run}: ${signature}`);
        }
      }
    }),
    {
      numRuns: opts.numRuns,
      seed,
      plugins: [fc.interruptAfterTimeLimit(opts.timeLimitMs)],
    },
  );
  opts.log?.(
    `[${channel.name}] ${run} runs in ${((Date.now() - started) / 1000).toFixed(1)} s; shrinking ${entries.size} violation(s)`,
  );
  for (const entry of entries.values()) {
    const details = await fc.check(propertyOf(channel, entry.signature), {
      numRuns: entry.firstRun + 5,
      seed,
      maxSkipsPerRun: 1,
      includeErrorInReport: true,
      plugins: [fc.interruptAfterTimeLimit(opts.shrinkTimeLimitMs ?? 30_000)],
    });
    if (details.failed) entry.report = fc.defaultReportMessage(details);
  }
  return [...entries.values()].sort((a, b) => a.firstRun - b.firstRun);
}

export function formatSurvey(channel: string, runs: number, entries: SurveyEntry[]): string {
  if (entries.length === 0) return `${channel}: no violation in ${runs} runs`;
  return [
    `${channel}: ${entries.length} distinct violation(s) in ${runs} runs`,
    ...entries.map(
      (e, i) =>
        `\n#${i + 1} ${e.signature}\n   seen ${e.count} time(s), first at run ${e.firstRun}\n` +
        (e.report ?? `   (not shrunk) first seen:\n${e.firstDetail}`)
          .split('\n')
          .map((l) => `   ${l}`)
          .join('\n'),
    ),
  ].join('\n');
}
