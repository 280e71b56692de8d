// Replays over HTTP end to end: a real server on an ephemeral port, a real client; each replay runs in the
// background of the server that took it. Serial: the throttled replays and the rows compared are the file's own.
import test, { type ExecutionContext } from 'ava';
import { sql } from 'kysely';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { startAll } from '../../api/main.js';
import type { NewEvent, RecordedEvent } from '../../application/ports/event-store.js';
import type { ReplayRequest } from '../../application/replay/replay-request.js';
import { loadConfig } from '../../infrastructure/config.js';
import { BackgroundReplays } from '../../infrastructure/replay/background-replays.js';
import { replayTargetsOf } from '../../infrastructure/replay/replay-targets.js';
import { collect, metadata } from '../support/events.js';
import { bearerFor, HttpSpecification, TEST_CONFIG, type HttpEnvironment, type Reply } from '../support/http-specification.js';

export type Profile = Readonly<{
  name: string;
  env(): Promise<HttpEnvironment>;
  /** Another API process can share the database (PostgreSQL; PGlite belongs to one process). */
  shared: boolean;
}>;

const PINGS_PER_STREAM = 10;
const PING_STREAMS = 4;

export function replayHttpSuite(profile: Profile): void {
  let env: Record<string, string> = {};
  const http = HttpSpecification({
    environment: async () => {
      const prepared = await profile.env();
      env = prepared.env;
      return prepared;
    },
    config: { CHORUS_AUDIT_REFUSALS_PER_SOURCE_PER_MIN: '100000' },
    as: ['operator'],
  });
  const { call, when, expect } = http;
  const pingStreams: string[] = [];
  let seeded: Promise<void> | undefined;
  // Each test seeds the log if none has yet: hooks run at once, and the server starts in one.
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) =>
    test.serial(`${profile.name}: ${title}`, async (t) => {
      await (seeded ??= seed());
      await body(t);
    });

  async function seed(): Promise<void> {
    const { store } = http.chorus().system;
    for (let n = 0; n < PING_STREAMS; n++) {
      const stream = `ping-${uuidv7()}`;
      const events: NewEvent[] = Array.from({ length: PINGS_PER_STREAM }, (_, i) => ({ eventId: uuidv7(), type: 'Pinged', data: { i }, metadata }));
      await store.append(stream, events, { expectedRevision: 'no_stream' });
      pingStreams.push(stream);
    }
    for (const text of ['Export is broken', 'Love the dashboard', 'Search is slow']) {
      const reply = await call('POST', '/v1/feedback', { json: { text, rating: 3 }, as: 'anonymous' });
      if (reply.status !== 201) throw new Error(`feedback: ${reply.status}`);
    }
    // Settled: projected and categorized by the triage enricher, so that no row moves but for a replay.
    const { db } = http.chorus().system.database;
    for (const deadline = Date.now() + 60_000; ; ) {
      const { rows } = await sql<{ settled: number }>`select count(*)::int as settled from feedback where category is not null`.execute(db);
      if (rows[0]!.settled === 3) break;
      if (Date.now() > deadline) throw new Error('the feedback was never projected and categorized');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const start = (json: unknown, through = call) => through('POST', '/v1/ops/replays', { json });
  const read = (id: string) => call('GET', `/v1/ops/replays/${id}`);
  async function settled(t: ExecutionContext, id: string, get = read): Promise<Reply> {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const reply = await get(id);
      if (reply.status !== 200 || reply.body.status !== 'running') return reply;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    t.fail(`replay ${id} never finished`);
    return get(id);
  }
  const feedbackRows = async () => (await sql`select * from feedback order by id`.execute(http.chorus().system.database.db)).rows;
  const selected = async (keep: (event: RecordedEvent) => boolean) => (await collect(http.chorus().system.store.readAll())).filter(keep);
  const audit = async (type: string) => (await call('GET', `/v1/audit?type=${type}`, { as: ['admin'], headers: { 'X-Chorus-Consistency': 'strong' } })).body;
  /** The audit trail is written in batches and projected: waits for the entry. */
  async function audited(t: ExecutionContext, type: string, subject: string, reason: string): Promise<Record<string, unknown>> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const entry = (await audit(type)).items.find((item: { subject: string; reason: string }) => item.subject === subject && item.reason === reason);
      if (entry !== undefined) return entry;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    t.fail(`no ${type} entry for ${subject}: ${reason}`);
    return {};
  }

  it('a replay to a projection: 202 with Location, followed to completed with processed = total; the rows do not move', async (t) => {
    const types = ['FeedbackSubmitted', 'Pinged'];
    const expected = await selected((event) => types.includes(event.type));
    const before = await feedbackRows();
    t.is(before.length, 3);
    const started = await start({ target: 'projection', projection: 'feedback', types });
    expect(t, started, { status: 202, headers: { location: `/v1/ops/replays/${started.body.id}` } }, 'POST /v1/ops/replays');
    t.regex(started.body.id, /^[0-9a-f-]{36}$/);
    t.true(['running', 'completed'].includes(started.body.status));
    const done = await settled(t, started.body.id);
    t.like(done.body, {
      id: started.body.id,
      status: 'completed',
      target: 'projection',
      projection: 'feedback',
      types,
      maxRate: null,
      processed: expected.length,
      total: expected.length,
      etaSeconds: 0,
      lastPosition: expected.at(-1)!.position,
      errors: [],
      cancelRequested: false,
    });
    t.is(done.body.processed, PINGS_PER_STREAM * PING_STREAMS + 3);
    t.truthy(done.body.finishedAt);
    t.true(Date.parse(done.body.createdAt) <= Date.parse(done.body.finishedAt));
    t.deepEqual(await feedbackRows(), before, 'what the projection had applied is skipped');
    await when('GET', `/v1/ops/replays/${started.body.id.toUpperCase()}`).then(t, { status: 200, body: { id: started.body.id } });
  });

  it('what cannot be replayed is refused with 400 and a code; Kafka without Kafka with 409', async (t) => {
    const [first, second] = await selected((event) => event.type === 'Pinged');
    const refusals: [unknown, number, string][] = [
      [{}, 400, 'REQUEST.INVALID'],
      [{ target: 'jsonl' }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection' }, 400, 'REQUEST.INVALID'],
      [{ target: 'kafka', projection: 'feedback' }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', topic: 'chorus.feedback' }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', surprise: 1 }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', rate: 0 }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', streams: [] }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', since: 'yesterday' }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'feedback', since: '0000-06-01T00:00:00Z' }, 400, 'REQUEST.INVALID'],
      [{ target: 'projection', projection: 'ghosts' }, 400, 'REPLAY.UNKNOWN_PROJECTION'],
      [{ target: 'projection', projection: 'feedback', fromPosition: 'the start' }, 400, 'REPLAY.INVALID_POSITION'],
      [{ target: 'projection', projection: 'feedback', fromPosition: second!.position, toPosition: first!.position }, 400, 'REPLAY.EMPTY_RANGE'],
      [{ target: 'projection', projection: 'feedback', since: '2026-12-02T00:00:00Z', until: '2026-12-02T00:00:00Z' }, 400, 'REPLAY.EMPTY_RANGE'],
      [{ target: 'kafka', topic: 'payments.transfers' }, 400, 'REPLAY.UNKNOWN_TOPIC'],
      [{ target: 'kafka' }, 409, 'REPLAY.KAFKA_NOT_CONFIGURED'],
      [{ target: 'kafka', topic: 'chorus.feedback' }, 409, 'REPLAY.KAFKA_NOT_CONFIGURED'],
    ];
    for (const [json, status, code] of refusals) expect(t, await start(json), { status, code }, JSON.stringify(json));
  });

  it('an unknown or malformed id is 404, for reads and cancels alike', async (t) => {
    for (const id of [uuidv7(), 'not-a-uuid', `${uuidv7()}x`]) {
      await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 404, code: 'REPLAY.NOT_FOUND' });
      await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 404, code: 'REPLAY.NOT_FOUND' });
    }
  });

  it('only operators and admins may start, read or cancel replays', async (t) => {
    const json = { target: 'projection', projection: 'feedback', streams: [pingStreams[0]] };
    const id = (await start(json)).body.id as string;
    const routes: [string, string, unknown][] = [
      ['POST', '/v1/ops/replays', json],
      ['GET', `/v1/ops/replays/${id}`, undefined],
      ['POST', `/v1/ops/replays/${id}/cancel`, undefined],
    ];
    for (const [method, path, body] of routes) {
      await when(method, path, { json: body, as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
      for (const role of ['viewer', 'member', 'agent'] as const) await when(method, path, { json: body, as: [role] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    }
    await when('GET', `/v1/ops/replays/${id}`, { as: ['admin'] }).then(t, { status: 200, body: { id } });
  });

  it('a throttled replay cancelled while it runs stops after the batch in hand; a second cancel is 409; both are audited', async (t) => {
    const started = await start({ target: 'projection', projection: 'feedback', types: ['Pinged'], rate: 5 });
    t.is(started.status, 202);
    const { id } = started.body;
    const cancelled = await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 200, body: { id, status: 'cancelled', maxRate: 5, cancelRequested: true, errors: [] } });
    t.true(cancelled.body.processed < PINGS_PER_STREAM * PING_STREAMS, `${cancelled.body.processed} events were sent before the cancel`);
    t.truthy(cancelled.body.finishedAt);
    await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { status: 'cancelled', processed: cancelled.body.processed } });
    await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 409, code: 'REPLAY.NOT_RUNNING' });
    const entry = await audited(t, 'replay.started', `replay:${id}`, 'started: to projection feedback');
    t.like(entry, { actor: { sub: 'as:operator', roles: ['operator'] }, method: 'POST', route: '/v1/ops/replays' });
    await audited(t, 'replay.cancelled', `replay:${id}`, `cancelled after ${cancelled.body.processed} of ${PINGS_PER_STREAM * PING_STREAMS} event(s)`);
    await audited(t, 'replay.cancelled', `replay:${id}`, 'refused: REPLAY.NOT_RUNNING');
  });

  it('cancelling a completed replay is 409 REPLAY.NOT_RUNNING, and audited as refused', async (t) => {
    const { id } = (await start({ target: 'projection', projection: 'feedback', streams: [pingStreams[1]] })).body;
    t.like((await settled(t, id)).body, { status: 'completed', processed: PINGS_PER_STREAM });
    await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 409, code: 'REPLAY.NOT_RUNNING' });
    t.like(await audited(t, 'replay.cancelled', `replay:${id}`, 'refused: REPLAY.NOT_RUNNING'), { route: '/v1/ops/replays/:id/cancel' });
  });

  it('a running replay whose heartbeat stopped (its process died) reads as failed, with why, and cannot be cancelled', async (t) => {
    const id = uuidv7();
    await sql`insert into replays (id, request, status, processed, total, updated_at)
              values (${id}, ${JSON.stringify({ target: 'projection', projection: 'feedback' })}, 'running', 7, 40, now() - interval '31 seconds')`.execute(http.chorus().system.database.db);
    const reply = await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { status: 'failed', processed: 7, total: 40, etaSeconds: null } });
    t.is(reply.body.errors.length, 1);
    t.regex(reply.body.errors[0], /stopped without finishing: no heartbeat since .*, so the process running it died/);
    t.is(reply.body.finishedAt, reply.body.updatedAt);
    await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 409, code: 'REPLAY.NOT_RUNNING' });
  });

  /** Another runner on the same database, as another API process would be (the routes only ever call their own). */
  const elsewhere = () => {
    const { system } = http.chorus();
    return new BackgroundReplays(system.database.db, system.store, replayTargetsOf(system), pino({ level: 'silent' }));
  };
  const throttled: ReplayRequest = { target: 'projection', projection: 'feedback', types: ['Pinged'], rate: 5 };

  it('a replay another process runs is read here, and a cancel asked here reaches its runner between batches', async (t) => {
    const runner = elsewhere();
    try {
      const { id } = await runner.start(uuidv7(), throttled);
      const seen = await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { id, status: 'running', maxRate: 5 } });
      const asked = await when('POST', `/v1/ops/replays/${id}/cancel`).then(t, { status: 200, body: { id, status: 'running', cancelRequested: true } });
      t.true(asked.body.processed >= seen.body.processed);
      const done = await settled(t, id);
      t.like(done.body, { status: 'cancelled', cancelRequested: true, errors: [] });
      t.true(done.body.processed < PINGS_PER_STREAM * PING_STREAMS);
    } finally {
      await runner.close();
    }
  });

  it('a runner that closes (its process shuts down) stops its replays after the batch in hand and says why', async (t) => {
    const runner = elsewhere();
    const { id } = await runner.start(uuidv7(), throttled);
    await runner.close();
    const reply = await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { status: 'cancelled', cancelRequested: false } });
    t.deepEqual(reply.body.errors, ['Stopped after the batch in hand because the API process running it shut down']);
    t.true(reply.body.processed < PINGS_PER_STREAM * PING_STREAMS);
    await t.throwsAsync(runner.start(uuidv7(), throttled), { message: /shutting down/ });
  });

  if (!profile.shared) return;

  it('a second API process on the database: its replays read here, and stopping it cancels them', async (t) => {
    const other = await startAll(loadConfig({ ...TEST_CONFIG, ...env }), pino({ level: 'silent' }));
    let id: string;
    try {
      const started = await fetch(`${other.url}/v1/ops/replays`, {
        method: 'POST',
        headers: { ...(await bearerFor(other, ['operator'])), 'content-type': 'application/json' },
        body: JSON.stringify(throttled),
      });
      t.is(started.status, 202);
      ({ id } = (await started.json()) as { id: string });
      await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { id, status: 'running' } });
    } finally {
      await other.stop();
    }
    const reply = await when('GET', `/v1/ops/replays/${id}`).then(t, { status: 200, body: { status: 'cancelled' } });
    t.deepEqual(reply.body.errors, ['Stopped after the batch in hand because the API process running it shut down']);
  });
}
