// The stack's floor, next to H: the app's cheapest REST route and a GraphQL call that runs no
// resolver. No flow can go faster than the requests it is made of, whatever its own work costs,
// so these show how much of each target the framework leaves to the code. The same GraphQL call
// against mercurius on a bare Fastify, then against the smallest Nest application with the app's
// GraphQL stack, splits that floor into the library's cost, Nest's, and the app's own set-up.
import { freshUsers } from '../lib/dataset.mjs';
import { runLoad } from '../lib/load.mjs';
import { startGraphqlFloor } from '../lib/servers.mjs';

export async function stackFloor(ctx, { connections, seconds }) {
  const [user] = await freshUsers(ctx, 1, { login: true });
  const rest = await runLoad(ctx, ctx.app, {
    label: `floor: GET /foods, c=${connections}`,
    script: 'floor-rest.lua',
    connections,
    seconds,
    lines: [user.token],
    shared: true,
    counter: 'ok',
  });
  const graphql = ctx.voting.available
    ? await runLoad(ctx, ctx.app, {
        label: `floor: { __typename }, c=${connections}`,
        script: 'floor-graphql.lua',
        connections,
        seconds,
        counter: 'ok',
      })
    : undefined;
  const baselines = {};
  if (graphql) {
    for (const [kind, what] of [
      ['bare', 'bare mercurius'],
      ['nest', 'minimal Nest'],
    ]) {
      const server = await startGraphqlFloor(ctx, kind);
      try {
        const run = await runLoad(ctx, server, {
          label: `floor: { __typename } on ${what}, c=${connections}`,
          script: 'floor-graphql.lua',
          connections,
          seconds,
          counter: 'ok',
        });
        baselines[kind] = run.summary;
      } finally {
        await server.process.stop();
      }
    }
  }
  return {
    rest: rest.summary,
    graphql: graphql?.summary,
    bareGraphql: baselines.bare,
    nestGraphql: baselines.nest,
  };
}
