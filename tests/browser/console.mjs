// Uses the console of a running gnlc in Debian's headless chromium, as its people do, with
// every host but gnlc's blocked:
//
// 1. a partner signs in with the keyboard alone, adds an endpoint pointing at a receiver
//    with the keyboard alone, sees its secret once, sends a test event and waits (reloading,
//    as a person would) until the delivery shows its attempt: status, HTTP status, the
//    signed headers;
// 2. it adds an endpoint whose receiver answers 500 (four times, then 200), sees the failed
//    attempts once the delivery has failed for good, redelivers it from the page and sees
//    the new attempt succeed;
// 3. a coordinator signs in, previews a CSV with errors (each problem against its row; the
//    cohorts list shows nothing admitted), fixes it, admits, and watches the delivery report
//    page update by itself (the console's script) until nothing is pending.
//
// On every page: axe-core's checks in the light and the dark colour scheme (a violation of
// impact serious or critical fails), every control reached by Tab with a visible focus
// indicator, no sideways scrolling at a phone's width, no request to another host, no
// Content-Security-Policy violation, no console error. Prints a JSON report; exits 0 when
// all of it held, 1 otherwise.
//
//   GNLC_PARTNER_TOKEN=… GNLC_COORDINATOR_TOKEN=… GNLC_RECEIVER_URL=… \
//   GNLC_FAILING_RECEIVER_URL=… node tests/browser/console.mjs http://127.0.0.1:PORT
//
// GNLC_CHROMIUM overrides the browser's path. GNLC_SCREENSHOTS=DIR saves PNGs of the main
// pages there, at a desktop and a phone width (tests/api/console/browser.rs passes it on).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2] ?? '');
const env = process.env;
const executablePath = env.GNLC_CHROMIUM ?? '/usr/bin/chromium';
const screenshots = env.GNLC_SCREENSHOTS ? resolve(env.GNLC_SCREENSHOTS) : null;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const desktop = { width: 1024, height: 720 };
const phone = { width: 390, height: 780 };

// The cohort file: three rows with two problems (a latitude out of range, a country that
// does not exist), then fixed.
const HEADER = 'name,country,latitude,longitude,geonames_id,country_name,iso3,region\n';
const REYKJAVIK = 'Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n';
const INVALID_CSV = `${HEADER}${REYKJAVIK}Bălți,MDA,147.76171,27.92902,,,,\nGotham,ZZ,40.7,-74,,,,\n`;
const VALID_CSV = `${HEADER}${REYKJAVIK}Bălți,MDA,47.76171,27.92902,,,,\n`;

const report = {
  pages: [],
  checks: [],
  axe: [],
  axeMinor: [],
  focus: [],
  phoneOverflow: [],
  keyboard: {},
  delivered: null,
  redelivered: null,
  preview: null,
  cohortsBefore: null,
  liveReport: null,
  requests: [],
  blocked: [],
  failed: [],
  violations: [],
  console: [],
  screenshots: [],
};
let ok = false;
/// The pages answered with an error status on purpose, by path.
const expectedStatus = new Map();
report.expectedStatus = [];

/// A check of the scenario: recorded, and the run fails if it does not hold.
function check(name, holds, detail) {
  report.checks.push({ name, ok: Boolean(holds), ...(holds ? {} : { detail }) });
}

const url = (path) => new URL(path, base).href;

/// Presses Tab (or Shift+Tab) until the focused element matches `selector`.
async function tabTo(page, selector, { back = false, max = 60 } = {}) {
  for (let n = 1; n <= max; n++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return n;
  }
  throw new Error(`${selector} not reached with ${back ? 'Shift+Tab' : 'Tab'} on ${page.url()}`);
}

/// Presses a key that leads to another page, and waits for it.
async function pressTo(page, key, path) {
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith(path), { timeout: 15_000 }), page.keyboard.press(key)]);
}

async function clickTo(page, locator, path) {
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith(path), { timeout: 15_000 }), locator.click()]);
}

/// Every control of the page reached by Tab, each showing a visible focus indicator (its
/// computed outline or box-shadow differs from its unfocused one).
async function checkFocus(page, name) {
  const count = await page.evaluate(() => {
    const controls = 'a[href], button, input:not([type=hidden]), textarea, select, summary, [tabindex]:not([tabindex="-1"])';
    const shown = (element) => !element.disabled && element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
    window.gnlcControls = [...document.querySelectorAll(controls)].filter(shown);
    window.gnlcLook = (element) => {
      const style = getComputedStyle(element);
      return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
    };
    document.activeElement?.blur();
    return window.gnlcControls.length;
  });
  const focused = new Map();
  // Round the page until every control was reached and the focus has left the last one.
  let last = null;
  for (let n = 0; n < 3 * count + 6; n++) {
    await page.keyboard.press('Tab');
    const seen = await page.evaluate(() => {
      const element = document.activeElement;
      const index = window.gnlcControls.indexOf(element);
      return index < 0 ? null : { index, look: window.gnlcLook(element) };
    });
    // A date field is several stops (its parts, its calendar button): each must show it.
    if (focused.size === count && seen?.index !== last) break;
    if (seen) focused.set(seen.index, [...(focused.get(seen.index) ?? []), seen.look]);
    last = seen?.index ?? null;
  }
  const controls = await page.evaluate(() => {
    document.activeElement?.blur();
    return window.gnlcControls.map((element) => ({
      what: `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} "${(element.textContent || element.name || element.value || '').trim().slice(0, 40)}"`,
      look: window.gnlcLook(element),
    }));
  });
  const unreachable = [];
  const noIndicator = [];
  controls.forEach((control, index) => {
    const looks = focused.get(index);
    const hidden = (look) => look === control.look || (/^none /.test(look) && look.endsWith('| none'));
    if (!looks) unreachable.push(control.what);
    else if (looks.some(hidden)) noIndicator.push(control.what);
  });
  report.focus.push({ page: name, controls: controls.length, unreachable, noIndicator });
}

/// axe-core over the page, in the light and the dark colour scheme, run by the driver
/// (outside the page's policy: the page itself allows no inline script).
async function checkAxe(page, name) {
  // The source as the driver's own expression: an eval() in the page would be refused.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await runAxe(page, colorScheme === 'light' ? name : `${name} (dark)`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function runAxe(page, name) {
  const found = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`),
    }));
  });
  for (const violation of found) {
    const serious = violation.impact === 'serious' || violation.impact === 'critical';
    (serious ? report.axe : report.axeMinor).push({ page: name, ...violation });
  }
}

/// The page from its top (the whole page with `fullPage`), at the desktop width, and the
/// phone's with `phoneToo`.
async function screenshot(page, name, { phoneToo = false, fullPage = false } = {}) {
  if (!screenshots) return;
  const save = async (file) => {
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: join(screenshots, file), fullPage, animations: 'disabled', caret: 'hide' });
    report.screenshots.push(file);
  };
  await save(`${name}.png`);
  if (phoneToo) {
    await page.setViewportSize(phone);
    await save(`${name}-phone.png`);
    await page.setViewportSize(desktop);
  }
}

/// Whether the page fits a phone's width, with no sideways scrolling (a wide table scrolls
/// in its own box).
async function checkPhoneWidth(page, name) {
  await page.setViewportSize(phone);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > phone.width) report.phoneOverflow.push(`${name}: ${width} px wide`);
  await page.setViewportSize(desktop);
}

/// A page as it stands: recorded, checked by axe, by Tab, and at a phone's width.
async function visit(page, name, response) {
  report.pages.push({ page: name, path: new URL(page.url()).pathname, status: response?.status() ?? null, title: await page.title() });
  await checkAxe(page, name);
  await checkFocus(page, name);
  await checkPhoneWidth(page, name);
}

async function goto(page, path, name) {
  const response = await page.goto(url(path), { waitUntil: 'load' });
  await visit(page, name, response);
  return response;
}

/// Reloads the page until `done` holds of it, as a person waiting would.
async function reloadUntil(page, done, what) {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > 45_000) throw new Error(`waited 45 s for ${what} on ${page.url()}`);
    await page.waitForTimeout(400);
    await page.reload({ waitUntil: 'load' });
  }
}

/// A delivery's attempts as its section shows them.
function attemptsOf(page) {
  return page.locator('section.delivery').first().evaluate((section) => {
    const attempts = [];
    for (const heading of section.querySelectorAll('h3')) {
      const list = heading.nextElementSibling;
      const field = (name) => [...list.querySelectorAll('dt')].find((dt) => dt.textContent === name)?.nextElementSibling?.textContent ?? null;
      let headers = null;
      let excerpt = null;
      for (let next = list.nextElementSibling; next && next.tagName !== 'H3'; next = next.nextElementSibling) {
        if (next.tagName === 'PRE' && next.textContent.startsWith('webhook-id')) {
          headers = Object.fromEntries(next.textContent.split('\n').map((line) => line.split(': ')));
        } else if (next.tagName === 'PRE') {
          excerpt = next.textContent;
        }
      }
      attempts.push({ heading: heading.textContent, httpStatus: field('HTTP status'), time: field('Time'), duration: field('Duration'), error: field('Error'), excerpt, headers });
    }
    return { status: section.querySelector('strong').textContent, attempts };
  });
}

async function partnerScenarios(page) {
  // Signing in with the keyboard alone: the skip link first, then the token field.
  const response = await page.goto(url('/console'), { waitUntil: 'load' });
  check('/console sends a signed-out person to the sign-in page', new URL(page.url()).pathname === '/console/sign-in', page.url());
  await visit(page, 'sign-in', response);
  await screenshot(page, 'sign-in', { phoneToo: true });
  await page.reload();
  const pointerBefore = report.pointer;
  await page.keyboard.press('Tab');
  check('the first Tab reaches the skip link', await page.evaluate(() => document.activeElement.matches('a.skip') && document.activeElement.getBoundingClientRect().left >= 0), 'skip link');
  await page.keyboard.press('Enter');
  check('the skip link moves the focus to the content', await page.evaluate(() => document.activeElement.id === 'main'), 'main');
  report.keyboard.signIn = { tabsToToken: await tabTo(page, '#token') };
  await page.keyboard.type(env.GNLC_PARTNER_TOKEN);
  await pressTo(page, 'Enter', '/console/endpoints');
  await visit(page, 'endpoints (none yet)', null);

  // Adding an endpoint with the keyboard alone: Tab, Shift+Tab, Space, Enter.
  report.keyboard.createEndpoint = { tabsToLink: await tabTo(page, 'a[href="/console/endpoints/new"]') };
  await pressTo(page, 'Enter', '/console/endpoints/new');
  await visit(page, 'new endpoint', null);
  await tabTo(page, '#url');
  await page.keyboard.type(env.GNLC_RECEIVER_URL);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Admissions, typed with the keyboard');
  await tabTo(page, 'input[name=event_type][value="cohort.admitted"]');
  await page.keyboard.press('Space');
  await tabTo(page, 'main form button[type=submit]');
  // Back for one more event type.
  await tabTo(page, 'input[name=event_type][value="city.admitted"]', { back: true });
  await page.keyboard.press('Space');
  await tabTo(page, 'main form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Endpoint created' }).waitFor({ timeout: 15_000 });
  report.keyboard.pointerEvents = report.pointer - pointerBefore;
  await visit(page, 'endpoint created (its secret)', null);
  const secret = (await page.locator('#secret').textContent()).trim();
  check('the secret is shown, once', secret.startsWith('whsec_') && (await page.getByText('shown this once').count()) === 1, secret);
  check('the secret has a Copy button', await page.locator('button[data-copy="secret"]').isVisible(), 'no visible Copy button');
  await screenshot(page, 'endpoint-created');
  const endpointPath = await page.getByRole('link', { name: 'Go to the endpoint' }).getAttribute('href');
  await clickTo(page, page.getByRole('link', { name: 'Go to the endpoint' }), endpointPath);
  await visit(page, 'endpoint', null);
  check('the endpoint keeps the event types ticked', await page.locator('input[value="cohort.admitted"]').isChecked() && await page.locator('input[value="city.admitted"]').isChecked() && !(await page.locator('input[value="city.withdrawn"]').isChecked()), 'event types');
  check('the secret is not shown again', !(await page.content()).includes(secret), 'secret on the endpoint page');

  // A test event, and its delivery with its attempt.
  await clickTo(page, page.getByRole('button', { name: 'Send a test event' }), `${endpointPath}/deliveries`);
  await reloadUntil(page, async () => (await page.locator('section.delivery .status-succeeded').count()) > 0, 'a succeeded delivery');
  await visit(page, 'deliveries', null);
  report.delivered = { secret, ...(await attemptsOf(page)) };
  await screenshot(page, 'deliveries', { phoneToo: true, fullPage: true });
  await goto(page, `${endpointPath}/delete`, 'delete confirmation');

  // An endpoint answering 500: its delivery fails for good, then is redelivered.
  await goto(page, '/console/endpoints/new', 'new endpoint');
  await page.getByLabel('URL').fill(env.GNLC_FAILING_RECEIVER_URL);
  await page.getByLabel('Description').fill('Answers 500 for a while');
  await page.getByRole('button', { name: 'Add the endpoint' }).click();
  await page.getByRole('heading', { level: 1, name: 'Endpoint created' }).waitFor({ timeout: 15_000 });
  const failingPath = await page.getByRole('link', { name: 'Go to the endpoint' }).getAttribute('href');
  await page.goto(url(failingPath));
  await clickTo(page, page.getByRole('button', { name: 'Send a test event' }), `${failingPath}/deliveries`);
  await reloadUntil(page, async () => (await page.locator('section.delivery .status-failed').count()) > 0, 'a failed delivery');
  await visit(page, 'deliveries (failed)', null);
  const failed = await attemptsOf(page);
  await clickTo(page, page.getByRole('button', { name: 'Redeliver now' }), `${failingPath}/deliveries`);
  check('the redelivery is acknowledged', (await page.getByRole('status').textContent()).includes('attempted again'), 'no notice');
  await reloadUntil(page, async () => (await page.locator('section.delivery .status-succeeded').count()) > 0, 'the redelivery to succeed');
  report.redelivered = { failed, after: await attemptsOf(page) };
  await goto(page, '/console/endpoints', 'endpoints');
  check('the list shows both endpoints', (await page.locator('tbody tr').count()) === 2, 'rows');
  await screenshot(page, 'endpoints', { phoneToo: true });
  await goto(page, '/console/events', 'event catalog');

  // Signing out.
  await clickTo(page, page.getByRole('button', { name: 'Sign out' }), '/console/sign-in');
}

async function coordinatorScenario(context, page) {
  await page.getByLabel('API token').fill(env.GNLC_COORDINATOR_TOKEN);
  await clickTo(page, page.getByRole('button', { name: 'Sign in' }), '/console/endpoints');
  await clickTo(page, page.getByRole('link', { name: 'Cohorts', exact: true }), '/console/cohorts');
  await visit(page, 'cohorts', null);
  const cohorts = () => page.locator('main tbody a').allTextContents();
  const before = await cohorts();

  await clickTo(page, page.locator('main').getByRole('link', { name: 'Admit a cohort' }), '/console/cohorts/admit');
  await visit(page, 'admit a cohort', null);
  await page.getByLabel('Year').fill('2026');
  await page.getByLabel('Announced on').fill('2026-09-01');
  await page.getByLabel('The cohort\'s cities (CSV)').fill(INVALID_CSV);
  expectedStatus.set('/console/cohorts/preview', 422);
  const [previewed] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/console/cohorts/preview'),
    clickTo(page, page.getByRole('button', { name: 'Preview the admission' }), '/console/cohorts/preview'),
  ]);
  check('a preview with problems is answered 422', previewed.status() === 422, previewed.status());
  await visit(page, 'preview with problems', previewed);
  const problems = await page
    .locator('table', { has: page.locator('caption', { hasText: /^Problems/ }) })
    .locator('tbody tr')
    .evaluateAll((rows) =>
    rows.map((row) => {
      const [number, line, field, message] = [...row.cells].map((cell) => cell.textContent);
      return { row: number, line, field, message };
    }),
  );
  check('no Admit button with problems', (await page.getByRole('button', { name: /^Admit the/ }).count()) === 0, 'an Admit button');
  await screenshot(page, 'admission-preview-problems', { phoneToo: true });
  // In another tab, as a coordinator checking would: nothing admitted.
  const tab = await context.newPage();
  await tab.setViewportSize(desktop);
  await tab.goto(url('/console/cohorts'));
  const afterPreview = await tab.locator('main tbody a').allTextContents();
  await tab.close();
  report.cohortsBefore = { before, afterPreview };

  // Fixed, previewed again, admitted.
  check('the form keeps what was typed', (await page.getByLabel('The cohort\'s cities (CSV)').inputValue()) === INVALID_CSV, 'the CSV');
  await page.getByLabel('The cohort\'s cities (CSV)').fill(VALID_CSV);
  expectedStatus.delete('/console/cohorts/preview');
  await clickTo(page, page.getByRole('button', { name: 'Preview the admission' }), '/console/cohorts/preview');
  await page.getByRole('heading', { name: 'Ready to admit' }).waitFor({ timeout: 15_000 });
  await visit(page, 'preview ready', null);
  report.preview = { problems, ready: (await page.getByRole('status').textContent()).trim() };
  await clickTo(page, page.getByRole('button', { name: 'Admit the 2026 cohort' }), '/console/cohorts/2026');

  // The report follows the deliveries by itself: no reload (the page's marker stays).
  const live = page.locator('[data-refresh]');
  const first = { pending: Number(await live.getAttribute('data-pending')), figures: await figures(page) };
  await page.evaluate(() => { window.gnlcSamePage = true; });
  const refreshes = report.requests.length;
  await page.waitForFunction(() => document.querySelector('[data-refresh]').dataset.pending === '0', null, { timeout: 60_000, polling: 200 });
  report.liveReport = {
    first,
    last: await figures(page),
    samePage: await page.evaluate(() => window.gnlcSamePage === true),
    fetches: report.requests.slice(refreshes).filter((r) => r === `GET ${page.url()}`).length,
    notice: (await page.getByRole('status').textContent()).trim(),
  };
  await visit(page, 'delivery report', null);
  await screenshot(page, 'delivery-report', { phoneToo: true });
  await clickTo(page, page.getByRole('link', { name: 'Partner endpoints' }).first(), '/console/partners');
  await visit(page, 'partner endpoints', null);
  await goto(page, '/console/cohorts', 'cohorts');
  report.cohortsBefore.afterAdmission = await cohorts();
  await goto(page, '/console/cities/withdraw', 'withdraw a city');
  await page.getByLabel('City slug').fill('cahul');
  await page.getByLabel('Left the network on').fill('2027-01-31');
  await clickTo(page, page.getByRole('button', { name: 'Continue' }), '/console/cities/withdraw');
  await visit(page, 'withdrawal confirmation', null);
}

function figures(page) {
  return page.locator('[data-refresh] dl').evaluate((list) =>
    Object.fromEntries([...list.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  );
}

if (screenshots) mkdirSync(screenshots, { recursive: true });
const userDataDir = mkdtempSync(join(tmpdir(), 'gnlc-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: desktop,
  colorScheme: 'light',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
report.pointer = 0;
try {
  context.on('request', (request) => report.requests.push(`${request.method()} ${request.url()}`));
  await context.route('**/*', (route) => {
    const target = new URL(route.request().url());
    if (target.origin === base.origin || target.protocol === 'data:') return route.continue();
    report.blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  context.on('console', (message) => {
    if (message.type() !== 'error') return;
    // A page answered with the status the scenario asked for (a form with problems: 422)
    // is no error of the page's.
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text())?.[1];
    const expected = status && expectedStatus.get(new URL(message.location().url || 'about:blank', base).pathname);
    if (expected === Number(status)) {
      report.expectedStatus.push(`${status} ${message.location().url}`);
      return;
    }
    report.console.push(`${message.page()?.url()}: ${message.text()}`);
    if (/Content Security Policy/i.test(message.text())) report.violations.push(message.text());
  });
  context.on('weberror', (error) => report.console.push(`uncaught: ${error.error()}`));
  context.on('requestfailed', (request) => report.failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  // The pages' own reports, and any pointer use, through bindings (outside the policy).
  await context.exposeBinding('gnlcViolation', (_source, violation) => report.violations.push(violation));
  await context.exposeBinding('gnlcPointer', () => { report.pointer += 1; });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      window.gnlcViolation(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`),
    );
    document.addEventListener('pointerdown', () => window.gnlcPointer(), true);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await partnerScenarios(page);
  await coordinatorScenario(context, page);
  // Reports arrive asynchronously: give the last ones time to.
  await page.waitForTimeout(200);
} catch (error) {
  report.error = String(error?.stack ?? error);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
report.elsewhere = report.requests.filter((request) => {
  const target = new URL(request.split(' ')[1]);
  return target.protocol !== 'data:' && target.host !== base.host;
});
ok =
  !report.error &&
  report.checks.every((c) => c.ok) &&
  report.axe.length === 0 &&
  report.focus.every((f) => f.unreachable.length === 0 && f.noIndicator.length === 0) &&
  report.keyboard.pointerEvents === 0 &&
  report.phoneOverflow.length === 0 &&
  report.blocked.length === 0 &&
  report.elsewhere.length === 0 &&
  report.violations.length === 0 &&
  report.console.length === 0;
const { requests, ...rest } = report;
console.log(JSON.stringify({ ok, ...rest, requests: requests.length }, null, 2));
// Not process.exit(): it could cut a long report short on a pipe.
process.exitCode = ok ? 0 : 1;
