// `--redis-cluster`: how an ordering run loads the Redis Cluster, from INFO commandstats of every
// master read at the start and at the end of the run's measured window (deltas, no RESETSTAT, so
// the figures of anyone else reading them are left alone).

/** Commands these probes send, left out of the counts. */
const OWN = new Set(['info', 'config', 'cluster', 'ping']);

/** Per command, calls since the server's last reset, from `INFO commandstats`. */
function parseCommandStats(info) {
  const calls = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const command = match[1].split('|')[0].toLowerCase();
    calls[command] = (calls[command] ?? 0) + Number(match[2]);
  }
  return calls;
}

/** host:port of each master → { commands, scripts }: calls served (scripts: EVALSHA and EVAL). */
export async function commandTotals(cluster) {
  const totals = {};
  for (const node of cluster.nodes('master')) {
    const calls = parseCommandStats(await node.info('commandstats'));
    let commands = 0;
    for (const [command, n] of Object.entries(calls)) if (!OWN.has(command)) commands += n;
    totals[`${node.options.host}:${node.options.port}`] = {
      commands,
      scripts: (calls.evalsha ?? 0) + (calls.eval ?? 0),
    };
  }
  return totals;
}

/**
 * Hooks for runWrk's measured window: `atStart`/`atDeadline` take a snapshot each; `figures(orders)`
 * turns the two into per-order figures. Commands run inside scripts count too (Redis counts them
 * under their own names); `scripts` are the round trips that carry them.
 */
export function commandWindow(cluster) {
  let before;
  let after;
  return {
    atStart: () => (before = commandTotals(cluster).catch((error) => ({ error }))),
    atDeadline: () => (after = commandTotals(cluster).catch((error) => ({ error }))),
    async figures(orders) {
      const [start, end] = await Promise.all([before, after]);
      if (!start || !end) return { error: 'the measured window was not sampled' };
      if (start.error || end.error) return { error: String((start.error ?? end.error).message) };
      const perMaster = {};
      let commands = 0;
      let scripts = 0;
      for (const [master, total] of Object.entries(end)) {
        const delta = total.commands - (start[master]?.commands ?? 0);
        perMaster[master] = orders ? delta / orders : 0;
        commands += delta;
        scripts += total.scripts - (start[master]?.scripts ?? 0);
      }
      const [busiest, most] = Object.entries(perMaster).sort((a, b) => b[1] - a[1])[0] ?? [];
      return {
        orders,
        commands,
        commandsPerOrder: orders ? commands / orders : 0,
        scriptsPerOrder: orders ? scripts / orders : 0,
        perMaster,
        busiest,
        busiestShare: commands && orders ? (most * orders) / commands : 0,
      };
    },
  };
}

/** Orders acknowledged in [from, deadline) of a run's per-second series (from: its first second). */
export function ordersInWindow(result) {
  const from = result.measureFrom ?? -Infinity;
  return Object.entries(result.perSecond)
    .filter(([second]) => Number(second) >= from && Number(second) < result.deadline)
    .reduce((sum, [, row]) => sum + (row.orders ?? 0), 0);
}

/** The report's rows for one run's figures (report.mjs `row`). */
export function redisRows(row, redis) {
  if (!redis) return;
  if (redis.error) return row('', 'Redis Cluster commands', `not measured: ${redis.error}`);
  const masters = Object.entries(redis.perMaster)
    .map(([master, n]) => `${master.replace(/^127\.0\.0\.1:/, ':')} ${n.toFixed(1)}`)
    .join(', ');
  row(
    '',
    'Redis commands / order',
    `${redis.commandsPerOrder.toFixed(1)} (${redis.scriptsPerOrder.toFixed(1)} script calls)`,
    { baseline: 'all masters, in-script commands counted' },
  );
  row('', 'per master / order', masters);
  row('', "busiest master's share", `${Math.round(redis.busiestShare * 100)} %`, {
    baseline: redis.busiest,
  });
}
