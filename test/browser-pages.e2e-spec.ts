import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { AppNode, TestEnv, createTestEnv, startNode } from './utils/app-cluster';
import { cas, queryCount } from './utils/voting';
import { readNetLog } from './utils/netlog';
import { eventually } from './utils/wait';

/**
 * The app's two pages in a real browser (Debian's Chromium, headless), under the app's own
 * security headers: GraphiQL at /graphiql runs `{ cas }` and a vote typed into its editor, and
 * Swagger UI at /docs lists the ordering routes, logs root in through "Try it out" and, with that
 * token authorized, lists the foods (screenshots go to test/artifacts/). No page may
 * log a console error, throw, get an error answer or violate the Content Security Policy. Nothing
 * may leave 127.0.0.1: a page's request for anywhere else is aborted and recorded (and must not
 * happen), and Chromium's own traffic goes to a proxy that refuses it, which its net log shows.
 */

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of every page, kept as the run's artifacts (git ignores the folder). */
const SCREENSHOTS = join(__dirname, 'artifacts');
mkdirSync(SCREENSHOTS, { recursive: true });
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

jest.setTimeout(120_000);

/** What went wrong on one page. */
interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  failedResponses: string[];
  cspViolations: unknown[];
}

// Every violation event of the page, recorded before any of its scripts runs (devtools injects
// this, so the page's CSP does not apply to it).
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample,
  }));
`;

describe('pages in a real browser', () => {
  let testEnv: TestEnv;
  let node: AppNode;
  let context: BrowserContext;
  let userDataDir: string;
  let netLog: string;
  /** Requests to anywhere but this machine: aborted, and listed here. */
  const leftTheMachine: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} not found: this suite needs Debian's Chromium. Install it with ` +
          '`apt-get update && apt-get install -y --no-install-recommends chromium` (as root), or ' +
          'run `npm test` as root, which installs it (scripts/browser.mjs).',
      );
    testEnv = await createTestEnv('browser_pages', 19, { users: 20 });
    // A ticket that stays in force while the test reads it in one page and types it into a vote.
    node = await startNode(testEnv, { env: { TICKET_INTERVAL_MS: '300000' } });
    userDataDir = mkdtempSync(join(tmpdir(), 'browser-pages-profile-'));
    netLog = `${userDataDir}.netlog.json`;
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Chromium's own services (autofill, sign-in, updates; Debian's build carries Google API
        // keys) send requests that page routing does not see: a proxy that refuses every
        // connection takes whatever is not for this machine (loopback bypasses proxies), and no
        // name but this machine's is looked up. The net log shows what was tried.
        '--proxy-server=http://127.0.0.1:9',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
        `--log-net-log=${netLog}`,
      ],
      viewport: { width: 1280, height: 900 },
    });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (LOCAL_HOSTS.has(url.hostname)) return route.continue();
      leftTheMachine.push(url.href);
      return route.abort('blockedbyclient');
    });
    await context.addInitScript({ content: RECORD_CSP_VIOLATIONS });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (netLog) rmSync(netLog, { force: true });
    await node?.stop();
  });

  afterEach(() => {
    expect(leftTheMachine).toEqual([]);
  });

  /** A new page whose console errors, exceptions and failed answers are recorded. */
  async function openPage(): Promise<{ page: Page; problems: () => Promise<PageProblems> }> {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const failedResponses: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') {
        const { url, lineNumber } = message.location();
        consoleErrors.push(`${message.text()} (${url}:${lineNumber})`);
      }
    });
    page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) =>
      failedResponses.push(`failed ${request.url()}: ${request.failure()?.errorText}`),
    );
    const problems = async (): Promise<PageProblems> => ({
      consoleErrors,
      pageErrors,
      failedResponses,
      cspViolations: (await page.evaluate('window.__cspViolations')) as unknown[],
    });
    return { page, problems };
  }

  const noProblems: PageProblems = {
    consoleErrors: [],
    pageErrors: [],
    failedResponses: [],
    cspViolations: [],
  };

  /** Replaces the query editor's text by typing it, and checks the editor holds exactly that. */
  async function typeQuery(page: Page, text: string): Promise<void> {
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // CodeMirror closes brackets and quotes as they open and types over them as they close, so
    // typing the whole text leaves exactly the text.
    await page.keyboard.type(text);
    await page.keyboard.press('Escape'); // closes an autocompletion list, if one is open
    const value = await page.evaluate(
      `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`,
    );
    expect(value).toBe(text);
  }

  async function run(page: Page, expected: RegExp): Promise<string> {
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response .CodeMirror-code');
    await response.filter({ hasText: expected }).waitFor({ timeout: 20_000 });
    return (await response.innerText()).replace(/\u200b/g, '');
  }

  test('the recorders see a CSP violation and a console error', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${node.url}/health/live`);
    // An inline script, which script-src 'self' refuses.
    await page.evaluate(
      `document.body.appendChild(Object.assign(document.createElement('script'), { textContent: '1' }))`,
    );
    const seen = await eventually(problems, (p) => p.cspViolations.length > 0);
    expect(seen.cspViolations).toEqual([expect.objectContaining({ directive: 'script-src-elem' })]);
    expect(seen.consoleErrors.join()).toContain('Content Security Policy');
    await page.close();
  });

  test('GraphiQL at /graphiql: `{ cas }` shows the ticket, a vote with it says 成功', async () => {
    const { page, problems } = await openPage();
    const answer = await page.goto(`${node.url}/graphiql`);
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    await page.locator('.graphiql-execute-button').waitFor();

    await typeQuery(page, '{ cas }');
    const casResult = await run(page, /"cas": "/);
    const ticket = /"cas": "([^"]+)"/.exec(casResult)?.[1];
    expect(ticket).toBe(await cas(node.url));
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-pages-graphiql-cas.png') });

    const voter = testEnv.users[1].name;
    await typeQuery(page, `mutation { vote(usernames: ["${voter}"], ticket: "${ticket}") }`);
    const voteResult = await run(page, /"vote"/);
    expect(voteResult).toContain('"vote": "成功"');
    expect(await queryCount(node.url, voter)).toBe(1);
    await page.getByRole('button', { name: /^Prettify query/ }).click(); // fits the screenshot
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-pages-graphiql-vote.png') });

    expect(await problems()).toEqual(noProblems);
    await page.close();
  });

  test('GraphiQL is also what a browser gets at /graphql', async () => {
    const { page, problems } = await openPage();
    const answer = await page.goto(`${node.url}/graphql`);
    expect(answer?.status()).toBe(200);
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    await page.locator('.graphiql-execute-button').waitFor();
    expect(await problems()).toEqual(noProblems);
    await page.close();
  });

  test('Swagger UI at /docs: the ordering routes, "Try it out" logs root in and lists the foods', async () => {
    const { page, problems } = await openPage();
    const answer = await page.goto(`${node.url}/docs`);
    expect(answer?.status()).toBe(200);
    await page.locator('.swagger-ui .opblock').first().waitFor();
    const paths = await page.locator('.opblock-summary-path').allInnerTexts();
    const routes = paths.map((p) => p.replace(/\u200b/g, '').trim());
    for (const route of [
      '/login',
      '/foods',
      '/carts',
      '/carts/{cartId}',
      '/orders',
      '/admin/orders',
    ])
      expect(routes).toContain(route);
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-pages-swagger.png') });

    const login = page.locator('.opblock-post').filter({
      has: page.locator('.opblock-summary-path[data-path="/login"]'),
    });
    await login.locator('.opblock-summary').click();
    await login.getByRole('button', { name: 'Try it out' }).click();
    await login
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ username: 'root', password: 'toor' }));
    await login.getByRole('button', { name: 'Execute' }).click();
    const live = login.locator('.live-responses-table');
    await live.locator('.response-col_status').filter({ hasText: '200' }).waitFor();
    const body = await live.locator('.response-col_description pre').first().innerText();
    expect(JSON.parse(body)).toMatchObject({
      user_id: 1,
      username: 'root',
      access_token: expect.any(String),
    });
    await live.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-pages-swagger-login.png') });

    // The token it got authorizes "Try it out" on GET /foods, sent in the Access-Token header.
    const token = String(JSON.parse(body).access_token);
    await page.locator('.swagger-ui .auth-wrapper .authorize').click();
    const dialog = page.locator('.swagger-ui .dialog-ux');
    // Two schemes are offered (the header and `?access_token=`); the header's is filled in.
    const header = dialog.locator('form').filter({ hasText: 'access_token_header' });
    await header.locator('input').fill(token);
    await header.locator('button.modal-btn.authorize').click();
    await header.locator('button.btn-done').click();
    const foods = page.locator('.opblock-get').filter({
      has: page.locator('.opblock-summary-path[data-path="/foods"]'),
    });
    await foods.locator('.opblock-summary').click();
    await foods.getByRole('button', { name: 'Try it out' }).click();
    await foods.getByRole('button', { name: 'Execute' }).click();
    const foodsLive = foods.locator('.live-responses-table');
    await foodsLive.locator('.response-col_status').filter({ hasText: '200' }).waitFor();
    const list = JSON.parse(
      await foodsLive.locator('.response-col_description pre').first().innerText(),
    );
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]).toEqual({
      id: expect.any(Number),
      price: expect.any(Number),
      stock: expect.any(Number),
    });
    await foodsLive.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-pages-swagger-foods.png') });

    expect(await problems()).toEqual(noProblems);
    await page.close();
  });

  test('nothing left the machine, from the pages or from Chromium itself', async () => {
    expect(leftTheMachine).toEqual([]);
    await context.close(); // writes the net log
    const report = readNetLog(netLog);
    // Chromium's own attempts, all refused on this machine: listed should one get through.
    expect({ remoteSockets: report.remoteSockets, lookups: report.lookups }).toEqual({
      remoteSockets: [],
      lookups: [],
    });
  });
});
