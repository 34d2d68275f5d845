// Opens GraphiQL on a running gnlc in Debian's headless chromium, with every host but
// gnlc's blocked: runs the open example (the Chișinău search), finds the answer on the page,
// and opens and closes the settings dialog; then runs the subscription example's tab (over a
// WebSocket to gnlc), prints `subscribed`, and reads a line on stdin, `{"expect": TEXT}`, once the
// caller has made the admission whose TEXT must appear in the result pane. Records every request
// and WebSocket the page makes, and every Content-Security-Policy violation (the page's
// `securitypolicyviolation` events and the console's reports). Prints a JSON report; exits 0 when
// the query and the subscription ran, no request went to another host and nothing violated the
// policy, 1 otherwise.
//
//   node tests/browser/graphiql.mjs http://127.0.0.1:PORT
//
// GNLC_CHROMIUM overrides the browser's path; GNLC_PRINT_INTROSPECTION=1 adds GraphiQL's
// introspection query to the report (tests/api/data/graphiql-introspection.graphql is one; run
// with `< /dev/null` not to wait for an admission).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2] ?? '');
const executablePath = process.env.GNLC_CHROMIUM ?? '/usr/bin/chromium';
const expected = 'Chișinău';
const subscription = 'CohortsAsAdmitted';
const report = {
  url: `${base.origin}/graphiql`,
  requests: [],
  blocked: [],
  failed: [],
  violations: [],
  console: [],
  introspection: null,
};

let ok = false;

const userDataDir = mkdtempSync(join(tmpdir(), 'gnlc-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  // Every request is recorded; anything for another host is refused too.
  context.on('request', (request) => report.requests.push(`${request.method()} ${request.url()}`));
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base.origin || url.protocol === 'data:') return route.continue();
    report.blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('websocket', (socket) => report.requests.push(`WEBSOCKET ${socket.url()}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    report.console.push(message.text());
    if (/Content Security Policy/i.test(message.text())) report.violations.push(message.text());
  });
  // The page's own reports, through a binding (which, like the listener added before any of
  // the page's scripts, is outside the page's policy).
  await page.exposeBinding('gnlcViolation', (_source, violation) => report.violations.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      window.gnlcViolation(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`),
    );
  });
  page.on('requestfailed', (request) => report.failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  // GraphiQL loads the schema with its introspection query: it must pass gnlc's limits.
  const introspection = page
    .waitForResponse(
      (response) =>
        response.url().endsWith('/graphql') &&
        response.request().method() === 'POST' &&
        (response.request().postData() ?? '').includes('__schema'),
      { timeout: 30_000 },
    )
    .then(async (response) => {
      const answer = await response.json().catch(() => null);
      report.introspection = {
        status: response.status(),
        errors: answer?.errors ?? null,
        types: answer?.data?.__schema?.types?.length ?? 0,
      };
      if (process.env.GNLC_PRINT_INTROSPECTION) report.introspectionQuery = response.request().postDataJSON().query;
    });
  introspection.catch(() => {}); // awaited below; a failure before then is reported there

  const response = await page.goto(report.url, { waitUntil: 'load' });
  report.status = response?.status();
  await introspection;
  await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
  await page.locator('.graphiql-response').getByText(expected).first().waitFor({ timeout: 30_000 });
  report.found = expected;
  // A dialog: GraphiQL's add styles of their own as they open.
  await page.getByRole('button', { name: /settings/i }).first().click();
  await page.getByRole('dialog').waitFor({ timeout: 10_000 });
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 10_000 });
  // The subscription's tab, run: GraphiQL subscribes over a WebSocket and shows each event.
  await page.locator('.graphiql-tab-button', { hasText: subscription }).click();
  // GraphiQL reads the operation of a tab's text 100 ms after it changes (debounced): run before
  // then, it would send the former tab's operation name.
  await page.waitForFunction(
    (name) => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.operationName === name,
    subscription,
    { timeout: 10_000 },
  );
  const socket = page.waitForEvent('websocket', { timeout: 10_000 });
  await page.locator('.graphiql-execute-button').click();
  report.socket = (await socket).url();
  console.log('subscribed');
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { value, done } = await input.next();
  // Run by hand with no stdin (`< /dev/null`), it goes on without (and fails).
  if (!done) {
    const { expect } = JSON.parse(value);
    await page.locator('.graphiql-response').getByText(expect).first().waitFor({ timeout: 30_000 });
    report.live = expect;
  }
  // Reports arrive asynchronously: give the last ones time to.
  await page.waitForTimeout(200);
  report.elsewhere = report.requests.filter((request) => {
    const url = new URL(request.split(' ')[1]);
    return url.protocol !== 'data:' && url.host !== base.host;
  });
  ok =
    report.status === 200 &&
    report.live !== undefined &&
    report.blocked.length === 0 &&
    report.elsewhere.length === 0 &&
    report.violations.length === 0 &&
    report.introspection?.status === 200 &&
    report.introspection.errors === null &&
    report.introspection.types > 0;
} catch (error) {
  report.error = String(error);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok, ...report }, null, 2));
// Not process.exit(): it could cut a long report short on a pipe.
process.exitCode = ok ? 0 : 1;
process.stdin.destroy();
