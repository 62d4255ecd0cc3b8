import Ajv from 'ajv';
import { AppNode, TestEnv, createTestEnv, startNode } from './utils/app-cluster';
import { request } from './utils/http';
import { ERRORS, SERVICE_ERRORS, loginClient } from './utils/ordering';

/**
 * The OpenAPI document at /docs/json stays truthful: it lists exactly the REST routes the node
 * registered (read from the node's own debug log), every error it names has the contract's status,
 * and the answers on the wire, successes and errors, fit the schemas it gives for them.
 */

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

const STATUS_OF: Record<string, number> = {
  ...Object.fromEntries(Object.entries(ERRORS).map(([code, [status]]) => [code, status])),
  ...SERVICE_ERRORS,
  BAD_REQUEST: 400,
  TOO_MANY_ATTEMPTS: 429,
};

let testEnv: TestEnv;
let node: AppNode;
let doc: Document;
const ajv = new Ajv({ strict: false });

/** The JSON schema the document gives for an answer of this route with this status. */
function schemaOf(path: string, method: string, status: number): object {
  const response = doc.paths[path]?.[method]?.responses[String(status)];
  if (!response) throw new Error(`${method.toUpperCase()} ${path} documents no ${status}`);
  const content = response.content ?? {};
  const media = content['application/json'] ?? Object.values(content)[0];
  return media?.schema ?? { type: 'null' };
}

/** Sends a request and checks its answer against the document: status documented, body fits. */
async function expectDocumented(
  method: string,
  path: string,
  url: string,
  options: Parameters<typeof request>[2] = {},
): Promise<{ status: number; body: unknown }> {
  const reply = await request(method.toUpperCase(), `${node.url}${url}`, options);
  const validate = ajv.compile(schemaOf(path, method, reply.status));
  const body = reply.status === 204 ? null : reply.body;
  expect({
    url,
    status: reply.status,
    body,
    errors: validate(body) ? [] : validate.errors,
  }).toEqual({ url, status: reply.status, body, errors: [] });
  return { status: reply.status, body: reply.body };
}

beforeAll(async () => {
  testEnv = await createTestEnv('openapi_document', 21, { users: 20, foods: 5, stock: 10 });
  node = await startNode(testEnv, { env: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' } });
  const reply = await request<Document>('GET', `${node.url}/docs/json`);
  expect(reply.status).toBe(200);
  doc = reply.body;
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

describe('the OpenAPI document', () => {
  it('lists exactly the REST routes the node registered, with their methods', () => {
    const registered = node
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { context?: string; msg: string })
      .filter((line) => line.context === 'RestRouter')
      .map((line) => /^Mapped \{(\S+), (\w+)\} route$/.exec(line.msg))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, url, method]) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(11);
    expect(documented.sort()).toEqual(registered.sort());
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /login',
        'GET /foods',
        'POST /carts',
        'PATCH /carts/{cartId}',
        'POST /orders',
        'GET /orders',
        'GET /admin/orders',
      ]),
    );
  });

  it('is the same document at /docs-json', async () => {
    const reply = await request('GET', `${node.url}/docs-json`);
    expect(reply.body).toEqual(doc);
  });

  it('names both token transports, and every route that needs a token accepts either', async () => {
    expect(doc.components.securitySchemes).toEqual({
      access_token_header: { type: 'apiKey', in: 'header', name: 'Access-Token' },
      access_token_query: { type: 'apiKey', in: 'query', name: 'access_token' },
    });
    const guarded = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => op.security)
        .map(([method, op]) => ({ path, method, security: op.security })),
    );
    expect(guarded.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
      [
        'get /admin/orders',
        'get /foods',
        'get /orders',
        'patch /carts/{cartId}',
        'post /carts',
        'post /orders',
      ].sort(),
    );
    for (const { security } of guarded)
      expect(security).toEqual([{ access_token_header: [] }, { access_token_query: [] }]);

    // Without a token, each of them answers the documented 401.
    for (const { method, path } of guarded) {
      const { status, body } = await expectDocumented(method, path, path.replace('{cartId}', 'x'));
      expect({ path, status, code: (body as { code: string }).code }).toEqual({
        path,
        status: 401,
        code: 'INVALID_ACCESS_TOKEN',
      });
    }
  });

  it("documents every error code at the contract's status for it", () => {
    for (const [path, operations] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(operations))
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const schema = response.content?.['application/json']?.schema as {
            properties: { code: { enum: string[] } };
          };
          for (const code of schema.properties.code.enum)
            expect({ method, path, code, status: Number(status) }).toEqual({
              method,
              path,
              code,
              status: STATUS_OF[code],
            });
        }
  });

  it('answers the contest flow as documented, successes and refusals alike', async () => {
    const root = testEnv.users[0];
    const user = testEnv.users[1];
    const json = { 'content-type': 'application/json' };
    const { body: session } = await expectDocumented('post', '/login', '/login', {
      body: { username: user.name, password: user.password },
    });
    await expectDocumented('post', '/login', '/login', {
      body: { username: user.name, password: 'wrong' },
    });
    await expectDocumented('post', '/login', '/login', { headers: json, body: '' });
    await expectDocumented('post', '/login', '/login', { headers: json, body: '{' });
    const token = `?access_token=${(session as { access_token: string }).access_token}`;
    const { body: foods } = await expectDocumented('get', '/foods', `/foods${token}`);
    const { body: cart } = await expectDocumented('post', '/carts', `/carts${token}`);
    const cartId = (cart as { cart_id: string }).cart_id;
    const foodId = (foods as { id: number }[])[0].id;
    const patch = (count: number, id = cartId) =>
      expectDocumented('patch', '/carts/{cartId}', `/carts/${id}${token}`, {
        body: { food_id: foodId, count },
      });
    expect((await patch(1)).status).toBe(204);
    expect((await patch(9)).status).toBe(403);
    expect((await patch(1, 'never-issued')).status).toBe(404);
    const order = (body: unknown) =>
      expectDocumented('post', '/orders', `/orders${token}`, { body });
    expect((await order({ cart_id: 1 })).status).toBe(400);
    expect((await order({ cart_id: cartId })).status).toBe(200);
    expect((await order({ cart_id: cartId })).status).toBe(403);
    await expectDocumented('get', '/orders', `/orders${token}`);
    const admin = await loginClient(node.url, root);
    await expectDocumented('get', '/admin/orders', `/admin/orders?access_token=${admin.token}`);
    await expectDocumented('get', '/health/live', '/health/live');
    await expectDocumented('get', '/health/ready', '/health/ready');
    await expectDocumented('get', '/metrics/json', '/metrics/json');
    await expectDocumented('get', '/metrics', '/metrics', { headers: json, body: '{}' });
  });
});
