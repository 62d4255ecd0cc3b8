// The stack's floor, next to H: the app's cheapest REST route and a GraphQL call that runs no
// resolver. No flow can go faster than the requests it is made of, whatever its own work costs,
// so these show how much of each target the framework leaves to the code.
import { freshUsers } from '../lib/dataset.mjs';
import { runLoad } from '../lib/load.mjs';

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
  return { rest: rest.summary, graphql: graphql?.summary };
}
