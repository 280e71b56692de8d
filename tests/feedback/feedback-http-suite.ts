// The feedback API end to end: a real server on an ephemeral port, a real HTTP client.
// Serial, so counts and stats are exact.
import test, { type ExecutionContext } from 'ava';
import { collect } from '../support/events.js';
import { HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';
import { UNREACHED, whileUnreachedStored } from '../support/unreached-position.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

export function feedbackHttpSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    // Long enough for a loaded CI machine to project a write; the far-future read below waits it out once.
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '3000', CHORUS_POLL_INTERVAL_MS: '100' },
    // Agents read feedback and change its status; submitting needs no credentials, and tests that say so send none.
    as: ['agent'],
  });
  const { call, when, expect } = http;

  const submit = (json: unknown = { text: 'The export button does nothing', rating: 2 }) => call('POST', '/v1/feedback', { json });
  const changeStatus = (id: string, json: unknown, headers: Record<string, string> = {}) =>
    call('POST', `/v1/feedback/${id}/status`, { json, headers });
  const readAfter = (path: string, position: string) => call('GET', path, { headers: { 'X-Chorus-Min-Position': position } });
  /** Submits feedback and waits until the triage enricher has categorized it: its ETag stops moving. */
  async function submitSettled(json?: unknown): Promise<{ id: string; etag: string; revision: number }> {
    const created = await submit(json);
    for (let attempt = 0; attempt < 500; attempt++) {
      const read = await call('GET', `/v1/feedback/${created.body.id}`, { headers: { 'X-Chorus-Consistency': 'strong' } });
      if (read.status === 200 && read.body.category !== null) return { id: created.body.id, etag: read.headers.get('etag')!, revision: read.body.revision };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('feedback was never categorized');
  }
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  it('POST /v1/feedback creates: 201, Location, ETag, position in body and header', async (t) => {
    const reply = await submit({ text: '  Love the new dashboard  ', rating: 5, channel: 'web', customerId: 'cust-1' });
    t.is(reply.status, 201);
    t.regex(reply.body.id, /^[0-9a-f-]{36}$/);
    t.is(reply.body.revision, 0);
    t.is(reply.headers.get('location'), `/v1/feedback/${reply.body.id}`);
    t.is(reply.headers.get('etag'), '"0"');
    t.is(reply.headers.get('x-chorus-position'), reply.body.position);
  });

  it('read-your-writes: GET with X-Chorus-Min-Position sees the write at once', async (t) => {
    const created = await submit({ text: 'Search is slow', rating: 3, channel: ' android ', appVersion: '1.4.0', customerId: null });
    const reply = await readAfter(`/v1/feedback/${created.body.id}`, created.body.position);
    t.is(reply.status, 200);
    t.regex(reply.headers.get('etag')!, /^"\d+"$/);
    t.like(reply.body, { id: created.body.id, text: 'Search is slow', rating: 3, channel: 'android', appVersion: '1.4.0', source: 'android 1.4.0', customerId: null, status: 'open' });
  });

  it('the deprecated source is parted into channel and app version, and is refused beside either of them', async (t) => {
    const created = await submit({ text: 'Crashes on launch', source: ' ios/v2.3.1-beta ' });
    t.is(created.status, 201);
    const item = { id: created.body.id, channel: 'ios', appVersion: 'v2.3.1-beta', source: 'ios v2.3.1-beta' };
    t.like((await readAfter(`/v1/feedback/${created.body.id}`, created.body.position)).body, item);
    const page = await readAfter('/v1/feedback?limit=1', created.body.position);
    t.like(page.body.items[0], item, 'lists carry them too');
    const unversioned = await submit({ text: 'Slow', source: 'web' });
    t.like((await readAfter(`/v1/feedback/${unversioned.body.id}`, unversioned.body.position)).body, { channel: 'web', appVersion: null, source: 'web' });
    const bare = await submit({ text: 'No origin' });
    t.like((await readAfter(`/v1/feedback/${bare.body.id}`, bare.body.position)).body, { channel: null, appVersion: null, source: null });

    for (const json of [{ text: 'Both', source: 'ios 2.3.1', channel: 'ios' }, { text: 'Both', source: 'ios', appVersion: '2.3.1' }]) {
      const refused = await when('POST', '/v1/feedback', { json }).then(t, { status: 400, code: 'FEEDBACK.SOURCE_WITH_CHANNEL' });
      t.deepEqual(refused.body.errors.map((e: { path: string }) => e.path), ['body.source']);
    }
    await when('POST', '/v1/feedback', { json: { text: 'A null source is none', source: null, channel: 'web' } }).then(t, { status: 201 });
    const invalid = await when('POST', '/v1/feedback', { json: { text: 'Bounds', channel: '  ', appVersion: '1'.repeat(51) } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    t.deepEqual(invalid.body.errors.map((e: { path: string }) => e.path).sort(), ['body.appVersion', 'body.channel']);
  });

  it('changing status with a matching If-Match answers 200 and the new ETag; If-None-Match gets 304', async (t) => {
    const { id, etag, revision } = await submitSettled();
    const changed = await changeStatus(id, { status: 'in_progress', note: 'Reproduced' }, { 'If-Match': etag });
    t.is(changed.status, 200);
    t.is(changed.headers.get('etag'), `"${revision + 1}"`);
    t.deepEqual(changed.body, { id, revision: revision + 1, position: changed.headers.get('x-chorus-position') });
    const read = await readAfter(`/v1/feedback/${id}`, changed.body.position);
    t.like(read.body, { status: 'in_progress', note: 'Reproduced', revision: revision + 1 });
    const again = await call('GET', `/v1/feedback/${id}`, { headers: { 'If-None-Match': `"${revision + 1}"`, 'X-Chorus-Min-Position': changed.body.position } });
    t.is(again.status, 304);
  });

  it('If-None-Match compares as RFC 9110 asks: a list, a weak tag or * gets 304; a list without the ETag gets the body', async (t) => {
    const { id, etag, revision } = await submitSettled();
    const strong = { 'X-Chorus-Consistency': 'strong' };
    for (const ifNoneMatch of [`"${revision + 7}", ${etag}`, `W/${etag}`, '*']) {
      const reply = await when('GET', `/v1/feedback/${id}`, { headers: { ...strong, 'If-None-Match': ifNoneMatch } }).then(t, { status: 304, headers: { etag } });
      t.is(reply.body, '', `${ifNoneMatch}: no body with a 304`);
    }
    await when('GET', `/v1/feedback/${id}`, { headers: { ...strong, 'If-None-Match': `"${revision + 7}", W/"${revision + 8}"` } }).then(t, {
      status: 200,
      headers: { etag },
      body: { id, revision },
    });
  });

  it('a stale If-Match answers 412 and changes nothing', async (t) => {
    const { id, etag } = await submitSettled();
    await changeStatus(id, { status: 'resolved' });
    await when('POST', `/v1/feedback/${id}/status`, { json: { status: 'closed' }, headers: { 'If-Match': etag } }).then(t, {
      status: 412,
      code: 'STREAM.WRONG_EXPECTED_REVISION',
    });
    await when('POST', `/v1/feedback/${id}/status`, { json: { status: 'closed' }, headers: { 'If-Match': 'W/"x"' } }).then(t, {
      status: 400,
      code: 'REQUEST.INVALID_IF_MATCH',
    });
    const events = await collect(http.chorus().system.store.readStream(`feedback-${id}`));
    t.deepEqual(
      events.map((e) => e.type),
      ['FeedbackSubmitted', 'FeedbackCategorized', 'FeedbackStatusChanged'],
    );
  });

  it('a transition the domain forbids answers 409 with its code', async (t) => {
    const created = await submit();
    await changeStatus(created.body.id, { status: 'closed' });
    await when('POST', `/v1/feedback/${created.body.id}/status`, { json: { status: 'open' } }).then(t, { status: 409, code: 'FEEDBACK.CLOSED' });
    const other = await submit();
    await changeStatus(other.body.id, { status: 'resolved' });
    await when('POST', `/v1/feedback/${other.body.id}/status`, { json: { status: 'in_progress' } }).then(t, {
      status: 409,
      code: 'FEEDBACK.ILLEGAL_TRANSITION',
    });
  });

  it('asking for the current status again is a harmless 200 with an unchanged revision', async (t) => {
    const { id, revision } = await submitSettled();
    const same = await changeStatus(id, { status: 'open' });
    t.is(same.status, 200);
    t.is(same.body.revision, revision);
  });

  it('unknown feedback answers 404, whether the id is unknown or not an id at all', async (t) => {
    const unknown = '01a2041a-9df6-7589-a81b-b54b1095756f';
    const notFound = { status: 404, code: 'FEEDBACK.NOT_FOUND' };
    await when('GET', `/v1/feedback/${unknown}`).then(t, notFound);
    await when('GET', '/v1/feedback/not-an-id').then(t, notFound);
    await when('POST', `/v1/feedback/${unknown}/status`, { json: { status: 'resolved' } }).then(t, notFound);
    await when('POST', `/v1/feedback/${unknown}/status`, { json: { status: 'resolved' }, headers: { 'If-Match': '"4"' } }).then(t, notFound);
    await when('POST', '/v1/feedback/nope/status', { json: { status: 'resolved' } }).then(t, notFound);
  });

  it('every malformed request gets its problem document and status', async (t) => {
    const cases: [Promise<Reply>, number, string][] = [
      [call('POST', '/v1/feedback', { raw: '{"text": ', headers: { 'content-type': 'application/json' } }), 400, 'HTTP.MALFORMED_JSON'],
      [call('POST', '/v1/feedback', { raw: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'HTTP.UNSUPPORTED_MEDIA_TYPE'],
      [call('POST', '/v1/feedback', { raw: '{"text":"hi"}' }), 415, 'HTTP.UNSUPPORTED_MEDIA_TYPE'],
      [submit({ text: 'x'.repeat(1024 * 1024) }), 413, 'HTTP.BODY_TOO_LARGE'],
      [call('GET', '/v1/nothing-here'), 404, 'HTTP.ROUTE_NOT_FOUND'],
      [call('DELETE', '/v1/feedback'), 405, 'HTTP.METHOD_NOT_ALLOWED'],
      [call('GET', '/v1/feedback?limit=1000'), 400, 'REQUEST.INVALID'],
      [call('GET', '/v1/feedback?cursor=bogus'), 400, 'QUERY.INVALID_CURSOR'],
      [call('GET', '/v1/feedback/stats?days=0'), 400, 'REQUEST.INVALID'],
    ];
    for (const [reply, status, code] of cases) expect(t, await reply, { status, code }, code);
  });

  it('validation errors name every field at fault', async (t) => {
    const reply = await when('POST', '/v1/feedback', { json: { text: '   ', rating: 6, source: 42, surprise: true } }).then(t, {
      status: 400,
      code: 'REQUEST.INVALID',
    });
    t.deepEqual(reply.body.errors.map((e: { path: string }) => e.path).sort(), ['body', 'body.rating', 'body.source', 'body.text']);
    const status = await changeStatus('01a2041a-9df6-7589-a81b-b54b1095756f', { status: 'done' });
    t.deepEqual(status.body.errors.map((e: { path: string }) => e.path), ['body.status']);
  });

  it('dead letters are listed, and retry or discard of an unknown letter answers with codes', async (t) => {
    const operator = { as: ['operator'] } as const;
    const list = await call('GET', '/v1/ops/dead-letters?status=open&limit=10', operator);
    t.is(list.status, 200);
    t.deepEqual(list.body, { items: [], nextCursor: null });
    const filter = await call('GET', '/v1/ops/dead-letters?status=lost', operator);
    t.is(filter.status, 400);
    t.deepEqual(filter.body.errors.map((e: { path: string }) => e.path), ['query.status']);
    for (const action of ['retry', 'discard']) {
      await when('POST', `/v1/ops/dead-letters/424242/${action}`, operator).then(t, { status: 404, code: 'DLQ.NOT_FOUND' });
      await when('POST', `/v1/ops/dead-letters/424242/${action}`).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    }
  });

  it('Idempotency-Key: a retry gets the first response again; another request under the key is refused', async (t) => {
    const key = `submit-${Math.random()}`;
    const json = { text: 'Sent twice by a flaky network', rating: 3 };
    const first = await call('POST', '/v1/feedback', { json, headers: { 'Idempotency-Key': key } });
    const retry = await call('POST', '/v1/feedback', { json, headers: { 'Idempotency-Key': key } });
    t.is(first.status, 201);
    t.is(retry.status, 201);
    t.deepEqual(retry.body, first.body);
    t.is(retry.headers.get('location'), first.headers.get('location'));
    t.is(retry.headers.get('etag'), first.headers.get('etag'));
    t.is(retry.headers.get('idempotent-replayed'), 'true');
    t.is(first.headers.get('idempotent-replayed'), null);
    const page = await readAfter('/v1/feedback?limit=100', first.body.position);
    t.is(page.body.items.filter((item: { text: string }) => item.text === json.text).length, 1, 'one feedback, not two');

    await when('POST', '/v1/feedback', { json: { text: 'something else' }, headers: { 'Idempotency-Key': key } }).then(t, {
      status: 422,
      code: 'IDEMPOTENCY.KEY_REUSED',
    });
    await when('POST', '/v1/feedback', { json, headers: { 'Idempotency-Key': 'has spaces in it' } }).then(t, {
      status: 400,
      code: 'REQUEST.INVALID_IDEMPOTENCY_KEY',
    });
  });

  it('Idempotency-Key: concurrent retries execute once; a failed request leaves the key free', async (t) => {
    const key = `race-${Math.random()}`;
    const json = { text: 'Concurrent retries' };
    const replies = await Promise.all(Array.from({ length: 6 }, () => call('POST', '/v1/feedback', { json, headers: { 'Idempotency-Key': key } })));
    const created = replies.filter((reply) => reply.status === 201);
    t.true(created.length >= 1);
    t.is(new Set(created.map((reply) => reply.body.id)).size, 1, 'every success names the same feedback');
    for (const reply of replies.filter((r) => r.status !== 201)) expect(t, reply, { status: 409, code: 'IDEMPOTENCY.IN_PROGRESS' });

    const failedKey = `fails-${Math.random()}`;
    const unknown = await call('POST', '/v1/feedback/01a2041a-9df6-7589-a81b-b54b1095756f/status', {
      json: { status: 'resolved' },
      headers: { 'Idempotency-Key': failedKey },
    });
    t.is(unknown.status, 404);
    const elsewhere = await submit();
    const again = await call('POST', `/v1/feedback/${elsewhere.body.id}/status`, { json: { status: 'resolved' }, headers: { 'Idempotency-Key': failedKey } });
    t.is(again.status, 200, 'the 404 did not keep the key');
  });

  it('X-Chorus-Min-Position: 400 when malformed or past every event stored, 503 with Retry-After when the read model is not there in time', async (t) => {
    await when('GET', '/v1/feedback', { headers: { 'X-Chorus-Min-Position': 'yesterday' } }).then(t, { status: 400, code: 'REQUEST.INVALID_POSITION' });
    await when('GET', '/v1/feedback', { headers: { 'X-Chorus-Min-Position': UNREACHED } }).then(t, { status: 400, code: 'REQUEST.UNKNOWN_POSITION' });
    await whileUnreachedStored(http.chorus().system.store, () =>
      when('GET', '/v1/feedback', { headers: { 'X-Chorus-Min-Position': UNREACHED } }).then(t, {
        status: 503,
        code: 'READ_MODEL.NOT_CAUGHT_UP',
        headers: { 'retry-after': '1' },
      }),
    );
  });

  it('X-Correlation-ID is echoed, generated when missing or unsafe, and stored in the event metadata', async (t) => {
    const reply = await call('POST', '/v1/feedback', { json: { text: 'traced' }, headers: { 'X-Correlation-ID': 'req-42.a' }, as: 'anonymous' });
    t.is(reply.headers.get('x-correlation-id'), 'req-42.a');
    const [event] = await collect(http.chorus().system.store.readStream(`feedback-${reply.body.id}`));
    t.is(event!.metadata.correlationId, 'req-42.a');
    t.like(event!.metadata, { causationId: null, schema: 2 });
    t.deepEqual(event!.metadata.actor, { sub: 'anonymous' });
    const signedIn = await call('POST', '/v1/feedback', { json: { text: 'traced' } });
    const [agents] = await collect(http.chorus().system.store.readStream(`feedback-${signedIn.body.id}`));
    t.deepEqual(agents!.metadata.actor, { sub: 'as:agent', roles: ['agent'] }, 'the caller of a signed-in request');
    const generated = await call('GET', '/health/live');
    t.regex(generated.headers.get('x-correlation-id')!, /^[0-9a-f-]{36}$/);
    const unsafe = await call('GET', '/health/live', { headers: { 'X-Correlation-ID': 'a b\tc' } });
    t.not(unsafe.headers.get('x-correlation-id'), 'a b\tc');
  });

  it('lists newest first, filtered, one cursor page at a time', async (t) => {
    const ids: string[] = [];
    let position = '';
    for (let n = 0; n < 5; n++) {
      const created = await submit({ text: `paged ${n}`, rating: 1 });
      ids.push(created.body.id);
      position = created.body.position;
    }
    // Other tests may have filed open feedback rated 1 before: these five are the newest, so they come first.
    const seen: { id: string; rating: number; status: string }[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const query: string = `/v1/feedback?rating=1&status=open&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await readAfter(query, position);
      t.is(page.status, 200);
      t.true(page.body.items.length <= 2);
      seen.push(...page.body.items);
      pages++;
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    t.true(pages >= 3, 'five items at two a page take three pages');
    t.deepEqual(seen.slice(0, 5).map((item) => item.id), [...ids].reverse());
    t.is(new Set(seen.map((item) => item.id)).size, seen.length, 'no item on two pages');
    t.true(seen.every((item) => item.rating === 1 && item.status === 'open'), 'only what the filter asks for');
  });

  it('stats count by status, rating and day', async (t) => {
    const before = (await call('GET', '/v1/feedback/stats')).body;
    const created = await submit({ text: 'stats', rating: 4 });
    const closed = await changeStatus(created.body.id, { status: 'closed' });
    const unrated = await submit({ text: 'no rating' });
    const position = [closed.body.position, unrated.body.position].sort((a, b) => http.chorus().system.store.comparePositions(a, b)).at(-1)!;
    const after = (await readAfter('/v1/feedback/stats', position)).body;
    t.is(after.total, before.total + 2);
    t.is(after.byStatus.closed, before.byStatus.closed + 1);
    t.is(after.byStatus.open, before.byStatus.open + 1);
    t.is(after.byRating['4'], before.byRating['4'] + 1);
    t.is(after.byRating.unrated, before.byRating.unrated + 1);
    const today = new Date().toISOString().slice(0, 10);
    t.is(after.byDay[0].day, today);
    t.is(after.byDay[0].count, (before.byDay[0]?.day === today ? before.byDay[0].count : 0) + 2);
  });

  it('health, projection status and the OpenAPI document', async (t) => {
    t.deepEqual((await call('GET', '/health/live')).body, { status: 'ok' });
    const ready = await call('GET', '/health/ready');
    t.is(ready.status, 200);
    t.like(ready.body.checks, { eventStore: 'ok', workers: { 'projection.feedback': 'running', 'enricher.feedback-triage': 'running' } });
    const created = await submit();
    await readAfter(`/v1/feedback/${created.body.id}`, created.body.position);
    const status = (await call('GET', '/v1/ops/projections', { as: ['operator'] })).body.items.find((item: { name: string }) => item.name === 'feedback');
    t.like(status, { name: 'feedback', version: 2, lastError: null });
    t.true(http.chorus().system.store.comparePositions(status.checkpoint, created.body.position) >= 0);
    const openapi = (await call('GET', '/openapi.json')).body;
    t.is(openapi.openapi, '3.1.0');
    const submitSchema = openapi.paths['/v1/feedback'].post.requestBody.content['application/json'].schema;
    t.is(submitSchema.properties.text.maxLength, 5000);
    t.like(submitSchema.properties, { channel: { anyOf: [{ maxLength: 100 }] }, appVersion: { anyOf: [{ maxLength: 50 }] }, source: { deprecated: true } });
    t.deepEqual(submitSchema.required, ['text']);
    t.truthy(openapi.paths['/v1/feedback/{id}/status'].post);
    t.deepEqual(
      openapi.paths['/v1/feedback'].get.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name),
      ['status', 'rating', 'category', 'sentiment', 'limit', 'cursor'],
    );
  });
}
