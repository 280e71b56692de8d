// The vote booth end to end: GET /v1/polls/:id/live read by a real HTTP client, on each profile. The initial tally at
// once, an update after a vote with the log position as its id, heartbeats, Last-Event-ID honoured, one subscription
// per poll however many watch, at most five frames a second, visibility, and a shutdown that ends open streams.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { pino } from 'pino';
import { startAll } from '../../api/main.js';
import type { Role } from '../../domain/identity/roles.js';
import { userStreamId } from '../../domain/identity/user-events.js';
import { loadConfig } from '../../infrastructure/config.js';
import { metadata } from '../support/events.js';
import { bearerFor, HttpSpecification, TEST_CONFIG, type HttpEnvironment } from '../support/http-specification.js';
import { openSse, type SseFrame, type SseReader } from '../support/server-sent-events.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

type Tally = { pollId: string; status: string; totalVotes: number; options: { id: string; text: string; votes: number; percent: number }[] };

export function pollsLiveSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '10000', CHORUS_POLL_INTERVAL_MS: '100', CHORUS_LIVE_HEARTBEAT_MS: '300' },
    as: ['member'],
  });
  const { call, chorus } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  async function user(roles: readonly Role[] = ['member']): Promise<Record<string, string>> {
    const id = uuidv7();
    await chorus().system.store.append(
      userStreamId(id),
      [{ eventId: uuidv7(), type: 'UserRegistered', data: { userId: id, email: `${id}@example.test`, displayName: id.slice(-6), roles, registeredAt: new Date().toISOString() }, metadata }],
      { expectedRevision: 'no_stream' },
    );
    return bearerFor(chorus(), roles, id);
  }
  async function poll(json: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<{ id: string; options: string[] }> {
    const created = await call('POST', '/v1/polls', { json: { question: 'Tea or coffee?', options: ['Tea', 'Coffee'], ...json }, headers });
    const read = await call('GET', `/v1/polls/${created.body.id}`, { headers: { ...headers, 'X-Chorus-Min-Position': created.body.position } });
    return { id: created.body.id, options: read.body.options.map((option: { id: string }) => option.id) };
  }
  const vote = async (pollId: string, optionId: string) => {
    const reply = await call('POST', `/v1/polls/${pollId}/votes`, { json: { optionId }, headers: await user() });
    if (reply.status !== 201) throw new Error(`vote answered ${reply.status}`);
  };
  const watch = async (pollId: string, headers: Record<string, string> = {}): Promise<SseReader> =>
    openSse(`${chorus().url}/v1/polls/${pollId}/live`, { ...(await bearerFor(chorus(), ['viewer'], 'watcher')), ...headers });
  /** The next tally frame, skipping the retry hint and heartbeats. */
  async function nextTally(reader: SseReader, timeoutMs = 10_000): Promise<SseFrame & { tally: Tally }> {
    for (;;) {
      const frame = await reader.next(timeoutMs);
      if (frame === null) throw new Error('the stream ended');
      if (frame.event === 'tally') return { ...frame, tally: JSON.parse(frame.data!) as Tally };
    }
  }

  it('the current tally at once, an update after a vote, heartbeats; one subscription however many watch', async (t) => {
    const { id, options } = await poll();
    const first = await watch(id);
    t.is(first.status, 200);
    t.regex(first.headers.get('content-type')!, /^text\/event-stream/);
    const initial = await nextTally(first);
    t.like(initial.tally, { pollId: id, status: 'open', totalVotes: 0 });
    t.regex(initial.id!, /^\S+$/);
    const second = await watch(id);
    t.deepEqual((await nextTally(second)).tally, initial.tally);
    t.is((await chorus().system.metrics.liveSubscriptions.get()).values[0]!.value, 1, 'two clients, one subscription');

    await vote(id, options[1]!);
    const updated = await nextTally(first);
    t.like(updated.tally, { totalVotes: 1 });
    t.deepEqual(updated.tally.options.map((option) => [option.votes, option.percent]), [[0, 0], [1, 100]]);
    t.not(updated.id, initial.id, 'the id is the log position, which moved');
    t.deepEqual((await nextTally(second)).tally, updated.tally);

    let heartbeat: SseFrame | null = null;
    while (heartbeat?.comment !== 'heartbeat') heartbeat = await first.next(2000);
    t.pass('a heartbeat comment came');
    first.close();
    second.close();
    for (let n = 0; n < 100 && (await chorus().system.metrics.liveSubscriptions.get()).values[0]!.value !== 0; n++) await new Promise((resolve) => setTimeout(resolve, 20));
    t.is((await chorus().system.metrics.liveSubscriptions.get()).values[0]!.value, 0, 'nobody watches: no subscription');
  });

  it('Last-Event-ID: the current position waits for the next change; an older one gets the tally at once', async (t) => {
    const { id, options } = await poll();
    const reader = await watch(id);
    const initial = await nextTally(reader);
    reader.close();

    const resumed = await watch(id, { 'Last-Event-ID': initial.id! });
    const quiet = await resumed.next(); // the retry hint
    t.like(quiet, { retry: 2000 });
    const beforeChange = await resumed.next(2000);
    t.like(beforeChange, { comment: 'heartbeat' }, 'nothing but heartbeats before a change');
    await vote(id, options[0]!);
    const changed = await nextTally(resumed);
    t.like(changed.tally, { totalVotes: 1 });
    resumed.close();

    const behind = await watch(id, { 'Last-Event-ID': initial.id! });
    t.like((await nextTally(behind, 2000)).tally, { totalVotes: 1 }, 'an older id gets the current tally at once');
    behind.close();
  });

  it('X-Chorus-Min-Position: the first tally holds the caller\'s own vote', async (t) => {
    const { id, options } = await poll();
    const voter = await user();
    const cast = await call('POST', `/v1/polls/${id}/votes`, { json: { optionId: options[0] }, headers: voter });
    const reader = await openSse(`${chorus().url}/v1/polls/${id}/live`, { ...voter, 'X-Chorus-Min-Position': cast.headers.get('x-chorus-position')! });
    t.like((await nextTally(reader)).tally, { totalVotes: 1 });
    reader.close();
    const bad = await openSse(`${chorus().url}/v1/polls/${id}/live`, { ...voter, 'X-Chorus-Min-Position': 'not-a-position' });
    t.is(bad.status, 400);
    bad.close();
  });

  it('a burst of votes arrives coalesced, at most five frames a second, ending exact', async (t) => {
    const { id, options } = await poll();
    const reader = await watch(id);
    await nextTally(reader);
    const started = performance.now();
    await Promise.all(Array.from({ length: 40 }, (_, n) => vote(id, options[n % 2]!)));
    const frames: Tally[] = [];
    while (frames.at(-1)?.totalVotes !== 40) frames.push((await nextTally(reader)).tally);
    const seconds = (performance.now() - started) / 1000;
    t.true(frames.length <= Math.ceil(seconds * 5) + 1, `${frames.length} frames in ${seconds.toFixed(2)} s`);
    t.deepEqual(frames.at(-1)!.options.map((option) => option.votes), [20, 20]);
    reader.close();
  });

  it('a followers-only poll is 404 to others; unknown polls 404; anonymous 401', async (t) => {
    const author = await user();
    const { id } = await poll({ visibility: 'followers' }, author);
    const stranger = await openSse(`${chorus().url}/v1/polls/${id}/live`, await user());
    t.is(stranger.status, 404);
    stranger.close();
    const admin = await openSse(`${chorus().url}/v1/polls/${id}/live`, await bearerFor(chorus(), ['admin'], 'moderator'));
    t.is(admin.status, 200);
    admin.close();
    for (const path of [`/v1/polls/${uuidv7()}/live`, '/v1/polls/not-a-poll/live']) {
      const unknown = await openSse(`${chorus().url}${path}`, await user());
      t.is(unknown.status, 404);
      unknown.close();
    }
    const anonymous = await openSse(`${chorus().url}/v1/polls/${id}/live`);
    t.is(anonymous.status, 401);
    anonymous.close();
  });

  it('stopping the server ends the open streams instead of waiting for them', async (t) => {
    const prepared = await profile.env();
    const running = await startAll(loadConfig({ ...TEST_CONFIG, ...prepared.env }), pino({ level: 'silent' }));
    try {
      const headers = await bearerFor(running, ['member'], 'author');
      const created = await fetch(`${running.url}/v1/polls`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Stop?', options: ['Yes', 'No'] }) });
      const { id, position } = (await created.json()) as { id: string; position: string };
      await fetch(`${running.url}/v1/polls/${id}`, { headers: { ...headers, 'X-Chorus-Min-Position': position } });
      const reader = await openSse(`${running.url}/v1/polls/${id}/live`, headers);
      t.is(reader.status, 200);
      await running.stop();
      let frame = await reader.next();
      while (frame !== null) frame = await reader.next();
      t.is(frame, null, 'the stream ended with the server');
    } finally {
      await running.stop();
      await prepared.cleanup();
    }
  });
}
