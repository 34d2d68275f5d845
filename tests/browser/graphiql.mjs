// Opens GraphiQL on a running gnlc in Debian's headless chromium, with every host but
// gnlc's blocked: runs the open example (the Chișinău search) and finds the answer on the
// page. Prints a JSON report; exits 0 on success, 1 on failure.
//
//   node tests/browser/graphiql.mjs http://127.0.0.1:PORT
//
// GNLC_CHROMIUM overrides the browser's path; GNLC_PRINT_INTROSPECTION=1 adds GraphiQL's
// introspection query to the report (tests/api/data/graphiql-introspection.graphql is one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2] ?? '');
const executablePath = process.env.GNLC_CHROMIUM ?? '/usr/bin/chromium';
const expected = 'Chișinău';
const report = { url: `${base.origin}/graphiql`, blocked: [], failed: [], console: [], introspection: null };

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
  // Anything for another host is recorded and refused.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base.origin || url.protocol === 'data:') return route.continue();
    report.blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') report.console.push(message.text());
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
  ok =
    report.status === 200 &&
    report.blocked.length === 0 &&
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
process.exit(ok ? 0 : 1);
