// Subscribes to a running gnlc with the real client libraries, as a partner's page or server
// would: `graphql-ws` (graphql-transport-ws over a WebSocket) or `graphql-sse` (GraphQL over
// Server-Sent Events, distinct connections mode).
//
//   node tests/browser/subscriptions.mjs ws|sse http://127.0.0.1:PORT/graphql TOKEN [AFTER]
//
// The scenario, the same on both transports, in steps the caller takes part in: at each step the
// script prints a line on stdout (`ready live`, `ready offline`, `ready resumed`) and reads one
// JSON line on stdin saying what the caller then did, `{"events": [type, …], "cohorts":
// [{"year", "cities": [{"name"}]}, …]}`:
//   1. `live`: subscribed to `events` and `cohortAdmitted` (with TOKEN, and after the cursor AFTER
//      when given); receives what the caller admits. (A server may say `ready` to its client before
//      its subscription listens; from a cursor, what is committed in between comes all the same.)
//   2. `offline`: the connection lost (the socket terminated, or the streams dropped), the caller
//      admits again while no one listens.
//   3. `resumed`: subscribed again with `after` set to the last cursors received; receives what
//      was missed, then what the caller does live, each event once, in order.
// Last, a wrong token must be refused, as the library reports it: over WebSocket, close code 4403
// through its error path; over SSE, an `UNAUTHENTICATED` error, then the end of the stream.
//
// Prints a one-line JSON summary on stdout (`ok`, and what each step received); exits 0 when
// every check passed, 1 otherwise. Diagnostics go to stderr.
import { createInterface } from 'node:readline';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const [transport, url, token, anchor] = process.argv.slice(2);
/** How long a step waits for what it expects before it fails. */
const PATIENCE_MS = 20_000;

const EVENTS = `subscription Events($after: String) {
  events(after: $after) { cursor event { id type payload } }
}`;
const COHORTS = `subscription CohortAdmitted($after: String) {
  cohortAdmitted(after: $after) { cursor cohort { year cities { name } } }
}`;

const summary = { transport, ok: false, steps: {} };
const checks = [];

/** Records a check, and whether it held. */
function check(what, held, detail) {
  checks.push({ what, held: !!held, ...(held ? {} : { detail }) });
  if (!held) console.error(`failed: ${what}: ${JSON.stringify(detail)}`);
}

const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), PATIENCE_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Says `ready STEP` to the caller and reads what it did. */
async function ready(step) {
  console.log(`ready ${step}`);
  const { value, done } = await within(input.next(), `the caller after "ready ${step}"`);
  if (done) throw new Error(`stdin ended after "ready ${step}"`);
  return JSON.parse(value);
}

/** One subscription's results, as they come. */
class Feed {
  constructor(field) {
    this.field = field;
    this.items = [];
    this.errors = [];
    this.ended = null;
    this.waiting = [];
    this.detached = false;
  }

  /** The sink both libraries take. */
  get sink() {
    return {
      next: (result) => {
        if (this.detached) return;
        if (result.errors) this.errors.push(result.errors);
        else this.items.push(result.data[this.field]);
        this.wake();
      },
      error: (error) => {
        if (this.detached) return;
        this.ended = { error };
        this.wake();
      },
      complete: () => {
        if (this.detached) return;
        this.ended = { complete: true };
        this.wake();
      },
    };
  }

  wake() {
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Waits until `count` results came, or the subscription ended or failed. */
  async until(count) {
    while (this.items.length < count && !this.ended && this.errors.length === 0) {
      await within(new Promise((wake) => this.waiting.push(wake)), `${count} ${this.field}`);
    }
    return this.items.slice();
  }

  /** The error that ended the subscription. */
  async failure() {
    while (!this.ended) await within(new Promise((wake) => this.waiting.push(wake)), `${this.field} to fail`);
    return this.ended.error;
  }
}

/** The transport's client, and how it loses its connection. */
function transportClient(authorization) {
  if (transport === 'ws') {
    const client = createWsClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      // Every lost connection is the test's own doing: no retry hides one.
      retryAttempts: 0,
    });
    return {
      client,
      // Abruptly, as a network failure would.
      lose: () => client.terminate(),
    };
  }
  if (transport === 'sse') {
    const client = createSseClient({
      url,
      singleConnection: false,
      headers: { authorization },
      retryAttempts: 0,
    });
    return { client, lose: () => client.dispose() };
  }
  throw new Error(`unknown transport ${transport}: ws or sse`);
}

/**
 * Subscribes to `events` and `cohortAdmitted` (after the given cursors), and returns once the
 * server has taken both: over WebSocket, when a query sent after them on the same socket is
 * answered (the server takes a connection's operations in order); over SSE, when both streams
 * are open.
 */
async function subscribeBoth(client, after) {
  const events = new Feed('events');
  const cohorts = new Feed('cohortAdmitted');
  const opened = [];
  for (const [feed, query, cursor] of [
    [events, EVENTS, after.events],
    [cohorts, COHORTS, after.cohorts],
  ]) {
    const connected = new Promise((resolve) => {
      client.subscribe({ query, variables: { after: cursor ?? null } }, feed.sink, { connected: resolve });
    });
    opened.push(connected);
  }
  if (transport === 'ws') {
    await within(
      new Promise((resolve, reject) => {
        client.subscribe({ query: '{ __typename }' }, { next: () => {}, error: reject, complete: resolve });
      }),
      'a query after the subscriptions',
    );
  } else {
    await within(Promise.all(opened), 'the streams to open');
  }
  return { events, cohorts };
}

/** Receives what the caller said it did, and checks it came as said. */
async function receive(step, feeds, told, before) {
  const events = await feeds.events.until(before.events + told.events.length);
  const cohorts = await feeds.cohorts.until(before.cohorts + told.cohorts.length);
  const newEvents = events.slice(before.events);
  const newCohorts = cohorts.slice(before.cohorts);
  check(`${step}: no errors`, feeds.events.errors.length + feeds.cohorts.errors.length === 0, {
    events: feeds.events.errors,
    cohorts: feeds.cohorts.errors,
  });
  check(`${step}: the subscriptions are still open`, !feeds.events.ended && !feeds.cohorts.ended, {
    events: String(feeds.events.ended?.error ?? feeds.events.ended?.complete ?? ''),
    cohorts: String(feeds.cohorts.ended?.error ?? feeds.cohorts.ended?.complete ?? ''),
  });
  const types = newEvents.map((e) => e.event.type);
  check(`${step}: the events, in order`, same(types, told.events), { got: types, expected: told.events });
  check(
    `${step}: each event's payload is of its type`,
    newEvents.every((e) => e.event.payload?.type === e.event.type && e.cursor && e.event.id),
    newEvents,
  );
  const got = newCohorts.map((c) => c.cohort);
  check(`${step}: the admitted cohorts with their cities`, same(canonical(got), canonical(told.cohorts)), {
    got,
    expected: told.cohorts,
  });
  // As GraphQL asks of a serialisation that can keep it: each answer's fields in the order asked.
  const orders = [
    ...newEvents.flatMap((e) => [Object.keys(e), Object.keys(e.event)]),
    ...newCohorts.flatMap((c) => [Object.keys(c), Object.keys(c.cohort)]),
  ];
  const asked = [
    ...newEvents.flatMap(() => [['cursor', 'event'], ['id', 'type', 'payload']]),
    ...newCohorts.flatMap(() => [['cursor', 'cohort'], ['year', 'cities']]),
  ];
  check(`${step}: each answer's fields in the order asked`, same(orders, asked), { got: orders });
  // A cohort's cursor is its `cohort.admitted` event's.
  const admittedCursors = newEvents.filter((e) => e.event.type === 'cohort.admitted').map((e) => e.cursor);
  check(`${step}: a cohort's cursor is its event's`, same(newCohorts.map((c) => c.cursor), admittedCursors), {
    cohorts: newCohorts.map((c) => c.cursor),
    events: admittedCursors,
  });
  summary.steps[step] = {
    events: newEvents.map((e) => ({ type: e.event.type, id: e.event.id, cursor: e.cursor })),
    cohorts: newCohorts.map((c) => ({ cursor: c.cursor, ...c.cohort })),
  };
  return { events: newEvents, cohorts: newCohorts };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `value` with every object's keys sorted: what it says, whatever the order it says it in. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
}

async function scenario() {
  const authorization = `Bearer ${token}`;

  // 1. Live.
  const first = transportClient(authorization);
  const feeds = await subscribeBoth(first.client, { events: anchor, cohorts: anchor });
  const live = await receive('live', feeds, await ready('live'), { events: 0, cohorts: 0 });
  // 2. The connection lost; the caller goes on.
  for (const feed of [feeds.events, feeds.cohorts]) feed.detached = true;
  first.lose();
  const missed = await ready('offline');
  // 3. Resumed from the last cursors: what was missed, then live again.
  const after = { events: live.events.at(-1)?.cursor, cohorts: live.cohorts.at(-1)?.cursor };
  check('live: cursors to resume from', after.events && after.cohorts, after);
  const second = transportClient(authorization);
  const resumed = await subscribeBoth(second.client, after);
  const caughtUp = await receive('offline', resumed, missed, { events: 0, cohorts: 0 });
  const told = await ready('resumed');
  const then = await receive('resumed', resumed, told, { events: missed.events.length, cohorts: missed.cohorts.length });
  const ids = [...live.events, ...caughtUp.events, ...then.events].map((e) => e.event.id);
  check('nothing twice', new Set(ids).size === ids.length, ids);
  // Nothing beyond what was said, either (anything repeated would have come before the last).
  check('nothing more', resumed.events.items.length === missed.events.length + told.events.length, {
    received: resumed.events.items.length,
  });
  second.client.dispose();

  if (transport === 'ws') {
    // A wrong token: refused, with the protocol's code, through the library's error path.
    const refused = transportClient('Bearer gnlc_wrong');
    const feed = new Feed('events');
    refused.client.subscribe({ query: EVENTS, variables: {} }, feed.sink);
    const error = await feed.failure();
    summary.wrongToken = { code: error?.code ?? null, reason: error?.reason ?? String(error) };
    check('a wrong token is closed with 4403', error?.code === 4403, summary.wrongToken);
    refused.client.dispose();
  } else {
    // A refusal before the operation runs: its errors as a result, then the stream ends.
    const refused = transportClient('Bearer gnlc_wrong');
    const feed = new Feed('events');
    refused.client.subscribe({ query: EVENTS, variables: {} }, feed.sink);
    await feed.until(1);
    while (!feed.ended) await within(new Promise((wake) => feed.waiting.push(wake)), 'the refused stream to end');
    const codes = feed.errors.flat().map((error) => error.extensions?.code);
    summary.wrongToken = { codes, ended: feed.ended.complete ? 'complete' : String(feed.ended.error) };
    check('a wrong token is refused with UNAUTHENTICATED', same(codes, ['UNAUTHENTICATED']), summary.wrongToken);
    check('the refused stream completes', feed.ended.complete === true, summary.wrongToken);
    refused.client.dispose();
  }
}

try {
  await scenario();
  summary.ok = checks.length > 0 && checks.every((c) => c.held);
} catch (error) {
  summary.error = String(error?.stack ?? error);
  console.error(summary.error);
}
summary.failed = checks.filter((c) => !c.held);
console.log(JSON.stringify(summary));
process.exitCode = summary.ok ? 0 : 1;
// Clients still open (after a failure) would keep Node running.
setTimeout(() => process.exit(), 1000).unref();
