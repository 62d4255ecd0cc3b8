import { request } from '../utils/http';

/**
 * What the arbitraries need to know about a running node's data so that part of the inputs get
 * past the guards and the validators: real tokens, real cart ids, real names. It is gathered
 * before any fuzzing starts, so the fuzzer's failed logins (which may be throttled) cannot lock
 * out the users whose tokens it uses: those users never appear in a fuzzed login.
 */
export interface FuzzContext {
  /** Logged-in users (root first), never used in fuzzed login bodies. */
  tokens: { userId: number; name: string; token: string }[];
  /** Carts of those users (index into `tokens`), some holding items. */
  carts: { id: string; owner: number }[];
  cartIds: string[];
  foodIds: number[];
  /** Users whose credentials (right and wrong) the fuzzer may send to /login. */
  loginUsers: { name: string; password: string }[];
  /** Every user name of the dataset (for GraphQL `query` and `vote`). */
  usernames: string[];
}

/** Replaced by the current ticket when sent, so that some votes carry a valid one. */
export const TICKET_MARKER = '__FUZZ_TICKET__';

export interface DatasetUser {
  id: number;
  name: string;
  password: string;
}

/** Logs in `tokenUsers` users (root included), opens carts and reads the foods. */
export async function gatherContext(
  url: string,
  users: DatasetUser[],
  { tokenUsers = 4, cartsPerUser = 2 }: { tokenUsers?: number; cartsPerUser?: number } = {},
): Promise<FuzzContext> {
  const withTokens = users.slice(0, tokenUsers);
  const tokens: FuzzContext['tokens'] = [];
  for (const user of withTokens) {
    const reply = await request<{ access_token: string; user_id: number }>('POST', `${url}/login`, {
      body: { username: user.name, password: user.password },
    });
    if (reply.status !== 200)
      throw new Error(`login of ${user.name}: ${reply.status} ${reply.text}`);
    tokens.push({ userId: reply.body.user_id, name: user.name, token: reply.body.access_token });
  }
  const foods = await request<{ id: number }[]>('GET', `${url}/foods`, { token: tokens[0].token });
  if (foods.status !== 200) throw new Error(`foods: ${foods.status} ${foods.text}`);
  const foodIds = foods.body.map((f) => f.id);
  const carts: FuzzContext['carts'] = [];
  for (const [i, { token }] of tokens.entries()) {
    for (let c = 0; c < cartsPerUser; c++) {
      const cart = await request<{ cart_id: string }>('POST', `${url}/carts`, { token });
      if (cart.status !== 200) throw new Error(`cart: ${cart.status} ${cart.text}`);
      carts.push({ id: cart.body.cart_id, owner: i });
      if (c === 0) {
        const food = foodIds[i % foodIds.length];
        await request('PATCH', `${url}/carts/${cart.body.cart_id}`, {
          token,
          body: { food_id: food, count: 1 },
        });
      }
    }
  }
  return {
    tokens,
    carts,
    cartIds: carts.map((c) => c.id),
    foodIds,
    loginUsers: users.slice(tokenUsers).map(({ name, password }) => ({ name, password })),
    usernames: users.map((u) => u.name),
  };
}

/** Polls `{ cas }` so that fuzzed votes can carry the current ticket (it rotates every 2 s). */
export function startTicketPoller(url: string, everyMs = 500): { current(): string; stop(): void } {
  let ticket = '';
  const poll = async (): Promise<void> => {
    const reply = await request<{ data?: { cas?: string } }>('POST', `${url}/graphql`, {
      body: { query: '{ cas }' },
      timeoutMs: 2000,
    }).catch(() => undefined);
    const cas = reply?.body?.data?.cas;
    if (typeof cas === 'string') ticket = cas;
  };
  void poll();
  const timer = setInterval(() => void poll(), everyMs);
  timer.unref();
  return { current: () => ticket, stop: () => clearInterval(timer) };
}
