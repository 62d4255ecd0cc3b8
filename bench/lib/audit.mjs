// Audits run after every scenario against the system of record (MySQL) and the wire. A broken
// invariant throws AuditError: the bench stops and exits non-zero, loudly.
import { graphql, request } from './client.mjs';

export class AuditError extends Error {}

const QUERY = 'query($u:String!){query(username:$u)}';

function fail(after, problems) {
  throw new AuditError(`audit after "${after}" FAILED:\n  - ${problems.join('\n  - ')}`);
}

async function adminToken(ctx) {
  const root = ctx.dataset.users[0];
  const reply = await request('POST', `${ctx.app.url}/login`, {
    body: { username: root.name, password: root.password },
  });
  if (reply.status !== 200)
    throw new AuditError(`audit: root cannot log in (${reply.status} ${reply.text})`);
  return reply.body.access_token;
}

/**
 * No food oversold (MySQL: units in committed orders <= initial stock, for every food) and the
 * orders acknowledged with 200 are exactly those of GET /admin/orders (and of MySQL). Orders
 * whose answer never arrived (`unknownOrders`) may be present or absent; none other.
 */
export async function auditOrders(ctx, after) {
  const problems = [];
  const stock = new Map(
    (await ctx.store.rows('SELECT id, stock FROM food')).map((f) => [
      Number(f.id),
      Number(f.stock),
    ]),
  );
  const sold = new Map();
  const dbOrders = await ctx.store.rows('SELECT id, items FROM `order`');
  for (const order of dbOrders) {
    for (const item of JSON.parse(order.items))
      sold.set(item.food_id, (sold.get(item.food_id) ?? 0) + item.count);
  }
  for (const [food, units] of sold) {
    if (!stock.has(food)) problems.push(`food ${food} sold ${units} but does not exist`);
    else if (units > stock.get(food))
      problems.push(`food ${food} OVERSOLD: ${units} sold, stock was ${stock.get(food)}`);
  }

  const reply = await request('GET', `${ctx.app.url}/admin/orders`, {
    token: await adminToken(ctx),
    timeoutMs: 60_000,
  });
  if (reply.status !== 200 || !Array.isArray(reply.body))
    fail(after, [...problems, `GET /admin/orders answered ${reply.status}`]);
  const admin = new Set(reply.body.map((o) => o.id));
  const acked = ctx.ledger.orders;
  const missing = [...acked].filter((id) => !admin.has(id));
  const extra = [...admin].filter((id) => !acked.has(id));
  if (missing.length)
    problems.push(
      `${missing.length} orders got 200 but are not in /admin/orders (e.g. ${missing.slice(0, 3).join(', ')})`,
    );
  if (extra.length > ctx.ledger.unknownOrders) {
    problems.push(
      `${extra.length} orders in /admin/orders never got a 200 (only ${ctx.ledger.unknownOrders} answers were lost)`,
    );
  }
  if (dbOrders.length !== admin.size)
    problems.push(`MySQL holds ${dbOrders.length} orders, /admin/orders lists ${admin.size}`);
  if (problems.length) fail(after, problems);
  return {
    orders: admin.size,
    acknowledged: acked.size,
    inDoubt: extra.length,
    foodsChecked: stock.size,
  };
}

/**
 * Vote counts in MySQL equal the acknowledged votes, name by name (votes whose answer never
 * arrived may add at most their names), and `query` on the wire agrees with MySQL for a sample.
 */
export async function auditVotes(ctx, after) {
  const problems = [];
  const rows = await ctx.store.rows(
    'SELECT u.name, v.votes FROM vote_count v JOIN `user` u ON u.id = v.user_id WHERE v.votes > 0',
  );
  const counted = new Map(rows.map((r) => [r.name, Number(r.votes)]));
  const expected = ctx.ledger.votes;
  let surplus = 0;
  for (const name of new Set([...counted.keys(), ...expected.keys()])) {
    const diff = (counted.get(name) ?? 0) - (expected.get(name) ?? 0);
    if (diff < 0)
      problems.push(
        `${name}: ${counted.get(name) ?? 0} votes in MySQL, ${expected.get(name)} acknowledged (LOST votes)`,
      );
    surplus += Math.max(0, diff);
  }
  if (surplus > ctx.ledger.unknownVotes) {
    problems.push(
      `${surplus} votes in MySQL were never acknowledged (only ${ctx.ledger.unknownVotes} answers were lost)`,
    );
  }
  const sample = [...expected.keys()].slice(0, 20);
  for (const name of sample) {
    const reply = await graphql(ctx.app.url, QUERY, { u: name });
    ctx.queried.add(name);
    if (reply.data?.query !== (counted.get(name) ?? 0))
      problems.push(
        `query(${name}) = ${JSON.stringify(reply.data?.query ?? reply.errors)}, MySQL holds ${counted.get(name) ?? 0}`,
      );
  }
  if (problems.length) fail(after, problems.slice(0, 20));
  return {
    names: counted.size,
    votes: [...counted.values()].reduce((a, b) => a + b, 0),
    inDoubt: surplus,
    queried: sample.length,
  };
}

/** Baseline L keeps its counts in its own table: they must equal its acknowledged votes too. */
export async function auditLockVotes(ctx, after, tally, unknownNames) {
  const rows = await ctx.store.rows('SELECT name, votes FROM bench_lock_vote');
  const counted = new Map(rows.map((r) => [r.name, Number(r.votes)]));
  const problems = [];
  let surplus = 0;
  for (const name of new Set([...counted.keys(), ...tally.keys()])) {
    const diff = (counted.get(name) ?? 0) - (tally.get(name) ?? 0);
    if (diff < 0) problems.push(`L: ${name} lost ${-diff} votes`);
    surplus += Math.max(0, diff);
  }
  if (surplus > unknownNames) problems.push(`L: ${surplus} votes counted but never acknowledged`);
  if (problems.length) fail(after, problems.slice(0, 20));
  return { votes: [...counted.values()].reduce((a, b) => a + b, 0) };
}
