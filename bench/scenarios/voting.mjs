// Voting scenarios: votes on the app and on baseline L, cached queries, and a cold burst.
import { AuditError, auditLockVotes, auditVotes } from '../lib/audit.mjs';
import { burst } from '../lib/burst.mjs';
import { graphql, mapLimit, request } from '../lib/client.mjs';
import { runLoad, workerMemory } from '../lib/load.mjs';

const QUERY = 'query($u:String!){query(username:$u)}';
const k = (users) => `${Math.round(users / 1000)}k`;

/** Whether the app serves the voting API yet: `cas` must answer a ticket. */
export async function probeVoting(ctx) {
  try {
    const reply = await graphql(ctx.app.url, '{cas}');
    if (reply.status === 200 && typeof reply.data?.cas === 'string' && reply.data.cas)
      return { available: true };
    return {
      available: false,
      reason: `{cas} answered ${reply.status}: ${reply.text.slice(0, 160)}`,
    };
  } catch (error) {
    return { available: false, reason: error.message };
  }
}

/** Names the vote clients pick from, and (disjoint) the names the cached-query clients read. */
function pools(ctx) {
  const { voteNames, queryNames } = ctx.plan;
  const users = ctx.dataset.users.slice(1).map((u) => u.name);
  return { vote: users.slice(0, voteNames), query: users.slice(voteNames, voteNames + queryNames) };
}

/**
 * Clients loop `vote` (k names) refreshing the ticket with `cas` when refused for it. On `lock`,
 * the seed's design (baseline L) answers instead, on its own table.
 */
export async function voteRun(ctx, { server = 'app', names: count, connections, seconds }) {
  const onApp = server === 'app';
  const key = `${onApp ? 'votes' : 'lock'}${count}@${k(ctx.dataset.size)}@${connections}`;
  if (ctx.raw[key]) return ctx.raw[key];
  if (!onApp) await ctx.store.resetLockVotes();
  const label = `${onApp ? 'votes' : 'L (seed design) votes'}, ${count} name${count > 1 ? 's' : ''}, c=${connections}, ${k(ctx.dataset.size)} users`;
  const result = await runLoad(ctx, onApp ? ctx.app : ctx.lock, {
    label,
    script: 'vote.lua',
    connections,
    seconds,
    lines: pools(ctx).vote,
    shared: true,
    env: { BENCH_K: String(count) },
    counter: 'votes',
    // L's figure is set by its lock polling (100 ms), not by how warm its code is.
    warmup: onApp,
  });
  let audit;
  if (onApp) {
    for (const [name, n] of result.tally)
      ctx.ledger.votes.set(name, (ctx.ledger.votes.get(name) ?? 0) + n);
    ctx.ledger.unknownVotes += result.unknown * count;
    audit = await auditVotes(ctx, label);
  } else {
    audit = await auditLockVotes(ctx, label, result.tally, result.unknown * count);
  }
  const s = result.summary;
  return (ctx.raw[key] = {
    ...s,
    dataset: ctx.dataset.size,
    names: count,
    votesPerSecond: s.rate,
    namesPerSecond: s.rate * count,
    audit,
    memory: onApp ? workerMemory(ctx) : undefined,
  });
}

/** `query` over names each queried once before (so cached), keep-alive. */
export async function cachedQuery(ctx, { connections, seconds }) {
  const names = pools(ctx).query;
  ctx.progress.note(`warming ${names.length} names`);
  await mapLimit(names, 32, async (name) => {
    ctx.queried.add(name);
    await graphql(ctx.app.url, QUERY, { u: name });
  });
  const result = await runLoad(ctx, ctx.app, {
    label: `cached query, c=${connections}`,
    script: 'query.lua',
    connections,
    seconds,
    lines: names,
    shared: true,
    counter: 'ok',
  });
  return { ...result.summary, callsPerSecond: result.summary.rate };
}

/** Every app worker's /metrics/json (new connections until each pid answered), or null without it. */
async function workerMetrics(ctx) {
  const want = ctx.app.workerPids();
  const got = new Map();
  for (let i = 0; i < 200 && got.size < want.length; i++) {
    const reply = await request('GET', `${ctx.app.url}/metrics/json`, { fresh: true }).catch(
      () => undefined,
    );
    if (reply?.status !== 200 || !reply.body?.pid) return null;
    got.set(reply.body.pid, reply.body);
  }
  return got.size === want.length ? got : null;
}

/** Counters of MySQL reads made for `query` (by name: query and mysql|db). */
const readKeys = (snapshot) =>
  Object.keys(snapshot).filter(
    (key) => /query/i.test(key) && /mysql|db|read/i.test(key) && typeof snapshot[key] === 'number',
  );

/**
 * 1,000 concurrent `query` calls for one name nobody has queried yet: every answer must be the
 * acknowledged count, and MySQL must be read at most once per node. Reads come from the app's
 * per-process /metrics/json when it has such a counter, else from MySQL's server-wide Com_select
 * (minus the background rate measured just before).
 */
export async function coldBurst(ctx, { size }) {
  const name = [...ctx.ledger.votes.keys()].find((n) => !ctx.queried.has(n));
  if (!name) return { skipped: 'no voted name left that was never queried' };
  ctx.queried.add(name);
  const expected = ctx.ledger.votes.get(name);
  ctx.progress.note(`cold burst: ${size} concurrent queries for ${name}`);
  const before = await workerMetrics(ctx);
  const keys = before ? readKeys([...before.values()][0]) : [];
  // Without a per-process counter: MySQL's server-wide count, less its rate just before.
  let background = 0;
  if (!keys.length) {
    const idle = await ctx.store.selects();
    await new Promise((r) => setTimeout(r, 1000));
    background = (await ctx.store.selects()) - idle;
  }
  const selects0 = await ctx.store.selects();
  const { answers, ms } = await burst(
    ctx.app.port,
    '/graphql',
    { query: QUERY, variables: { u: name } },
    size,
  );
  const selects1 = await ctx.store.selects();
  const after = await workerMetrics(ctx);
  // Exact unless some vote's answer was lost (then it may or may not have counted).
  const slack = ctx.ledger.unknownVotes;
  const wrong = answers.filter(
    (a) =>
      a.status !== 200 ||
      !(a.body?.data?.query >= expected && a.body.data.query <= expected + slack),
  );
  if (wrong.length) {
    throw new AuditError(
      `audit after "cold burst" FAILED:\n  - ${wrong.length} of ${size} answers for ${name} were not its ${expected} acknowledged votes, e.g. ${JSON.stringify(wrong[0]).slice(0, 200)}`,
    );
  }
  let reads;
  let source;
  if (keys.length && after) {
    reads = 0;
    for (const [pid, snap] of after)
      for (const key of keys) reads += snap[key] - (before.get(pid)?.[key] ?? 0);
    source = `/metrics/json ${keys.join(', ')}`;
  } else {
    reads = Math.max(0, selects1 - selects0 - Math.round((background * ms) / 1000));
    source = `MySQL Com_select (server-wide, minus ${background}/s background)`;
  }
  return {
    name,
    size,
    ms,
    expected,
    reads,
    readsSource: source,
    nodes: ctx.app.workerPids().length,
  };
}
