// The polls API end to end: a real server on an ephemeral port, a real HTTP client. Serial, so lists are exact.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import type { Role } from '../../domain/identity/roles.js';
import { userStreamId } from '../../domain/identity/user-events.js';
import { commentStreamId } from '../../domain/polls/comment-events.js';
import { pollStreamId } from '../../domain/polls/poll-events.js';
import { reactionStreamId } from '../../domain/polls/reaction-events.js';
import { followStreamId } from '../../domain/polls/social-events.js';
import { voteStreamId } from '../../domain/polls/vote-events.js';
import { expireDuePolls } from '../../projections/polls/poll-expiry.js';
import { pollsProjection } from '../../projections/polls/polls-projection.js';
import { collect, metadata } from '../support/events.js';
import { bearerFor, HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

export function pollsHttpSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_POLL_INTERVAL_MS: '100' },
    as: ['member'],
  });
  const { call, when, expect, chorus } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  const store = () => chorus().system.store;
  /** A user identity has registered (its user stream), signed in with these roles. */
  async function user(roles: readonly Role[] = ['member']): Promise<{ id: string; headers: Record<string, string> }> {
    const id = uuidv7();
    await store().append(
      userStreamId(id),
      [{ eventId: uuidv7(), type: 'UserRegistered', data: { userId: id, email: `${id}@example.test`, displayName: id.slice(-6), roles, registeredAt: new Date().toISOString() }, metadata }],
      { expectedRevision: 'no_stream' },
    );
    return { id, headers: await bearerFor(chorus(), roles, id) };
  }
  const as = (headers: Record<string, string>, more: Record<string, string> = {}) => ({ headers: { ...headers, ...more } });
  const after = (reply: Reply) => ({ 'X-Chorus-Min-Position': reply.body.position as string });
  /**
   * A read after every one of these writes: the greatest of their positions. Not the store's head, which on a busy
   * server lags behind commits while any transaction in the cluster is open.
   */
  const afterAll = (replies: readonly Reply[]) => ({
    'X-Chorus-Min-Position': replies.map((reply) => reply.body.position as string).reduce((a, b) => (store().comparePositions(a, b) >= 0 ? a : b)),
  });
  const question = { question: 'Tea or coffee?', options: ['Tea', 'Coffee', 'Neither'] };
  const create = (json: unknown = question, headers: Record<string, string> = {}) => call('POST', '/v1/polls', { json, headers });
  const later = (ms: number) => new Date(Date.now() + ms).toISOString();

  it('POST /v1/polls creates: 201, Location, ETag, position; GET shows it open with no votes', async (t) => {
    const created = await create({ ...question, closesAt: later(3_600_000) });
    expect(t, created, { status: 201, headers: { location: `/v1/polls/${created.body.id}`, etag: '"0"', 'x-chorus-position': created.body.position } });
    const read = await when('GET', `/v1/polls/${created.body.id}`, { headers: after(created) }).then(t, { status: 200 });
    t.like(read.body, { id: created.body.id, authorId: 'as:member', question: 'Tea or coffee?', status: 'open', visibility: 'public', totalVotes: 0, commentCount: 0, myVote: null });
    t.deepEqual(read.body.options.map((o: { text: string; votes: number }) => [o.text, o.votes]), [['Tea', 0], ['Coffee', 0], ['Neither', 0]]);
    t.deepEqual(read.body.reactions, { like: 0, love: 0, laugh: 0, wow: 0, sad: 0, angry: 0 });
  });

  it('bad polls are refused with a code, never a 500', async (t) => {
    const refuse = (json: unknown, code: string) => when('POST', '/v1/polls', { json }).then(t, { status: 400, code });
    await refuse({ question: '', options: ['a', 'b'] }, 'REQUEST.INVALID');
    await refuse({ question: 'x'.repeat(301), options: ['a', 'b'] }, 'REQUEST.INVALID');
    await refuse({ question: 'One?', options: ['a'] }, 'REQUEST.INVALID');
    await refuse({ question: 'Eleven?', options: Array.from({ length: 11 }, (_, n) => `o${n}`) }, 'REQUEST.INVALID');
    await refuse({ question: 'Blank?', options: ['a', '  '] }, 'REQUEST.INVALID');
    await refuse({ question: 'Long?', options: ['a', 'b'.repeat(121)] }, 'REQUEST.INVALID');
    await refuse({ question: 'Twice?', options: ['Tea', ' tea '] }, 'POLL.DUPLICATE_OPTIONS');
    await refuse({ ...question, closesAt: '2020-01-01T00:00:00Z' }, 'POLL.CLOSES_IN_PAST');
    await refuse({ ...question, closesAt: 'tomorrow' }, 'REQUEST.INVALID');
    await refuse({ ...question, visibility: 'friends' }, 'REQUEST.INVALID');
    await refuse({ ...question, extra: 1 }, 'REQUEST.INVALID');
    await when('POST', '/v1/polls', { raw: '{"question":', headers: { 'content-type': 'application/json' } }).then(t, { status: 400, code: 'HTTP.MALFORMED_JSON' });
  });

  it('hostile queries, paths and cursors get 400 or 404 with a code, never a 500', async (t) => {
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const badCursors = [cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid']), cursorOf(['yesterday', uuidv7()]), cursorOf(['0000-01-01T00:00:00.000Z', uuidv7()]), cursorOf({}), 'bm9wZQ'];
    for (const cursor of badCursors) await when('GET', `/v1/polls?cursor=${cursor}`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    await when('GET', `/v1/users/as:member/followers?cursor=${cursorOf(['2026-01-01T00:00:00.000Z', '\ud800'])}`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    await when('GET', `/v1/users/as:member/followers?cursor=${cursorOf(['2026-01-01T00:00:00.000Z', 'x'.repeat(201)])}`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    await when('GET', '/v1/polls?author=%00').then(t, { status: 400, code: 'HTTP.UNSUPPORTED_CHARACTER' });
    await when('GET', `/v1/polls?author=${'a'.repeat(201)}`).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/polls?surprise=1').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/polls/%00').then(t, { status: 400, code: 'HTTP.UNSUPPORTED_CHARACTER' });
    await when('POST', `/v1/users/${'9'.repeat(300)}/follow`).then(t, { status: 404, code: 'FOLLOW.USER_NOT_FOUND' });
    const created = await create();
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: 'x'.repeat(101) } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: 7 } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/polls/${created.body.id.toUpperCase()}/votes`, { json: { optionId: 'nope' } }).then(t, { status: 400, code: 'POLL.UNKNOWN_OPTION' });
    await when('POST', '/v1/polls', { json: { ...question, closesAt: '+275760-09-13T00:00:00Z' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', '/v1/polls', { json: { ...question, closesAt: '2999-02-30T00:00:00Z' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
  });

  it('signed-in users read, viewers may not write, anonymous callers may do neither', async (t) => {
    const created = await create();
    await when('POST', '/v1/polls', { json: question, as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
    await when('GET', `/v1/polls/${created.body.id}`, { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
    await when('POST', '/v1/polls', { json: question, as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: 'x' }, as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('DELETE', `/v1/polls/${created.body.id}/votes/me`, { as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('POST', `/v1/polls/${created.body.id}/close`, { as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('GET', `/v1/polls/${created.body.id}`, { as: ['viewer'], headers: after(created) }).then(t, { status: 200 });
    for (const roles of [['agent'], ['operator'], ['admin']] as const) await when('POST', '/v1/polls', { json: question, as: roles }).then(t, { status: 201 });
  });

  it('a vote counts once: a second is POLL.ALREADY_VOTED, an unknown option POLL.UNKNOWN_OPTION', async (t) => {
    const created = await create();
    const poll = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body;
    const [tea, coffee] = poll.options as { id: string }[];
    const vote = (optionId: string) => call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId } });
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: 'nope' } }).then(t, { status: 400, code: 'POLL.UNKNOWN_OPTION' });
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: {} }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    const voted = await vote(tea!.id);
    expect(t, voted, { status: 201, body: { id: created.body.id, revision: 0 }, headers: { location: `/v1/polls/${created.body.id}` } });
    expect(t, await vote(coffee!.id), { status: 409, code: 'POLL.ALREADY_VOTED' });
    const read = await call('GET', `/v1/polls/${created.body.id}`, { headers: after(voted) });
    t.like(read.body, { totalVotes: 1, myVote: tea!.id });
    const other = await call('GET', `/v1/polls/${created.body.id}`, { as: ['agent'], headers: after(voted) });
    t.is(other.body.myVote, null, 'myVote is the caller\'s');
    const results = await when('GET', `/v1/polls/${created.body.id}/results`, { headers: after(voted) }).then(t, { status: 200 });
    t.deepEqual(results.body.options.map((o: { votes: number; percent: number }) => [o.votes, o.percent]), [[1, 100], [0, 0], [0, 0]]);
    t.is(results.body.totalVotes, 1);
  });

  it('DELETE /v1/polls/:id/votes/me retracts; the voter may vote again; without a vote it is POLL.VOTE_NOT_FOUND', async (t) => {
    const created = await create();
    const options = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options as { id: string }[];
    await when('DELETE', `/v1/polls/${created.body.id}/votes/me`).then(t, { status: 404, code: 'POLL.VOTE_NOT_FOUND' });
    await call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: options[0]!.id } });
    const retracted = await when('DELETE', `/v1/polls/${created.body.id}/votes/me`).then(t, { status: 200, body: { revision: 1 } });
    t.like((await call('GET', `/v1/polls/${created.body.id}/results`, { headers: after(retracted) })).body, { totalVotes: 0 });
    const again = await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: options[1]!.id } }).then(t, { status: 201, body: { revision: 2 } });
    const read = await call('GET', `/v1/polls/${created.body.id}`, { headers: after(again) });
    t.like(read.body, { totalVotes: 1, myVote: options[1]!.id });
    const events = await collect(store().readStream(voteStreamId(created.body.id, 'as:member')));
    t.deepEqual(events.map((e) => e.type), ['VoteCast', 'VoteRetracted', 'VoteCast']);
  });

  it('unknown polls are POLL.NOT_FOUND in every view, whatever the id looks like', async (t) => {
    for (const id of [uuidv7(), 'not-a-uuid']) {
      await when('GET', `/v1/polls/${id}`).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
      await when('GET', `/v1/polls/${id}/results`).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
      await when('POST', `/v1/polls/${id}/votes`, { json: { optionId: 'x' } }).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
      await when('DELETE', `/v1/polls/${id}/votes/me`).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
      await when('POST', `/v1/polls/${id}/close`).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    }
  });

  it('its author or an admin closes a poll; then votes are POLL.CLOSED; closing again changes nothing', async (t) => {
    const created = await create();
    const optionId = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options[0].id as string;
    await when('POST', `/v1/polls/${created.body.id}/close`, { as: ['agent'] }).then(t, { status: 403, code: 'POLL.NOT_AUTHOR' });
    const closed = await when('POST', `/v1/polls/${created.body.id}/close`).then(t, { status: 200, body: { id: created.body.id, revision: 1 } });
    await when('POST', `/v1/polls/${created.body.id}/close`).then(t, { status: 200, body: { revision: 1 } });
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId } }).then(t, { status: 409, code: 'POLL.CLOSED' });
    t.like((await call('GET', `/v1/polls/${created.body.id}`, { headers: after(closed) })).body, { status: 'closed' });
    const others = await create(question, await bearerFor(chorus(), ['member'], 'someone-else'));
    await when('POST', `/v1/polls/${others.body.id}/close`, { as: ['admin'] }).then(t, { status: 200, body: { revision: 1 } });
  });

  it('a poll closes by itself at closesAt: votes are refused at once, and the schedule appends PollClosed expired once', async (t) => {
    const closesAt = later(1500);
    const created = await create({ ...question, closesAt });
    const optionId = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options[0].id as string;
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId }, as: ['agent'] }).then(t, { status: 201 });
    await new Promise((resolve) => setTimeout(resolve, Date.parse(closesAt) - Date.now() + 50));
    await when('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId } }).then(t, { status: 409, code: 'POLL.CLOSED' });
    await when('DELETE', `/v1/polls/${created.body.id}/votes/me`, { as: ['agent'] }).then(t, { status: 409, code: 'POLL.CLOSED' });
    t.like((await call('GET', `/v1/polls/${created.body.id}`)).body, { status: 'closed', closesAt });
    let closes: { type: string; data: unknown }[] = [];
    for (let attempt = 0; attempt < 100 && closes.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      closes = (await collect(store().readStream(pollStreamId(created.body.id)))).filter((event) => event.type === 'PollClosed');
    }
    t.deepEqual(closes.map((event) => event.data), [{ pollId: created.body.id, closedBy: null, reason: 'expired', closedAt: closesAt }]);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // more runs of the schedule
    t.is((await collect(store().readStream(pollStreamId(created.body.id)))).length, 2, 'a closed poll gets nothing more');
  });

  it('GET /v1/polls: newest first, by author and status, a cursor page at a time; bad filters are 400', async (t) => {
    const author = await user();
    const made: string[] = [];
    let last: Reply | undefined;
    for (let n = 0; n < 5; n++) {
      last = await create({ question: `Q${n}?`, options: ['a', 'b'] }, author.headers);
      made.unshift(last.body.id);
    }
    const closed = await call('POST', `/v1/polls/${made[0]}/close`, as(author.headers));
    const page = (cursor?: string, extra = '') =>
      call('GET', `/v1/polls?author=${author.id}&limit=2${extra}${cursor === undefined ? '' : `&cursor=${cursor}`}`, { headers: after(last!) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const reply = await page(cursor);
      expect(t, reply, { status: 200 });
      seen.push(...reply.body.items.map((item: { id: string }) => item.id));
      cursor = reply.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    t.deepEqual(seen, made);
    // The close came after the last creation: the status filters read at its position.
    const closedOnes = await call('GET', `/v1/polls?author=${author.id}&status=closed`, { headers: after(closed) });
    t.deepEqual(closedOnes.body.items.map((item: { id: string }) => item.id), [made[0]]);
    const openOnes = await call('GET', `/v1/polls?author=${author.id}&status=open&limit=100`, { headers: after(closed) });
    t.deepEqual(openOnes.body.items.map((item: { id: string }) => item.id), made.slice(1));
    await when('GET', '/v1/polls?cursor=garbage').then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    await when('GET', '/v1/polls?limit=0').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/polls?limit=101').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/polls?status=maybe').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/polls', { headers: { 'X-Chorus-Min-Position': 'nowhere' } }).then(t, { status: 400, code: 'REQUEST.INVALID_POSITION' });
  });

  it('a followers-only poll is 404 to others in every view, seen by its author, followers and admins', async (t) => {
    const alice = await user();
    const bob = await user();
    const created = await create({ ...question, visibility: 'followers' }, alice.headers);
    const id = created.body.id as string;
    const optionId = (await when('GET', `/v1/polls/${id}`, as(alice.headers, after(created))).then(t, { status: 200 })).body.options[0].id as string;
    await when('GET', `/v1/polls/${id}`, as(bob.headers, after(created))).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    await when('GET', `/v1/polls/${id}/results`, as(bob.headers)).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    await when('POST', `/v1/polls/${id}/votes`, { json: { optionId }, ...as(bob.headers) }).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    await when('DELETE', `/v1/polls/${id}/votes/me`, as(bob.headers)).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    await when('POST', `/v1/polls/${id}/close`, as(bob.headers)).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    const listed = (headers: Record<string, string>, more: Record<string, string> = {}) =>
      call('GET', `/v1/polls?author=${alice.id}`, as(headers, more)).then((reply) => reply.body.items.map((item: { id: string }) => item.id));
    t.deepEqual(await listed(bob.headers), []);
    t.deepEqual(await listed(alice.headers), [id]);
    await when('GET', `/v1/polls/${id}`, { as: ['admin'] }).then(t, { status: 200 });
    t.deepEqual(await call('GET', `/v1/polls?author=${alice.id}`, { as: ['admin'] }).then((reply) => reply.body.items.length), 1);

    const followed = await when('POST', `/v1/users/${alice.id}/follow`, as(bob.headers)).then(t, { status: 200 });
    await when('GET', `/v1/polls/${id}`, as(bob.headers)).then(t, { status: 200 });
    t.deepEqual(await listed(bob.headers, after(followed)), [id]);
    await when('POST', `/v1/polls/${id}/votes`, { json: { optionId }, ...as(bob.headers) }).then(t, { status: 201 });
    await when('GET', `/v1/polls/${id}/results`, as(bob.headers)).then(t, { status: 200 });
    const unfollowed = await when('DELETE', `/v1/users/${alice.id}/follow`, as(bob.headers)).then(t, { status: 200 });
    await when('GET', `/v1/polls/${id}`, as(bob.headers)).then(t, { status: 404, code: 'POLL.NOT_FOUND' });
    t.deepEqual(await listed(bob.headers, after(unfollowed)), []);
  });

  it('follows: idempotent both ways, never yourself, only registered users; followers and following page by page', async (t) => {
    const star = await user();
    const fans = [await user(), await user(), await user()];
    await when('POST', `/v1/users/${star.id}/follow`, as(star.headers)).then(t, { status: 400, code: 'FOLLOW.SELF' });
    await when('DELETE', `/v1/users/${star.id}/follow`, as(star.headers)).then(t, { status: 400, code: 'FOLLOW.SELF' });
    await when('POST', `/v1/users/${uuidv7()}/follow`, as(star.headers)).then(t, { status: 404, code: 'FOLLOW.USER_NOT_FOUND' });
    await when('POST', '/v1/users/nobody/follow', as(star.headers)).then(t, { status: 404, code: 'FOLLOW.USER_NOT_FOUND' });
    await when('POST', `/v1/users/${star.id}/follow`, { as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    let last: Reply | undefined;
    for (const fan of fans) last = await when('POST', `/v1/users/${star.id}/follow`, as(fan.headers)).then(t, { status: 200, body: { id: star.id, revision: 0 } });
    await when('POST', `/v1/users/${star.id}/follow`, as(fans[0]!.headers)).then(t, { status: 200, body: { revision: 0 } });
    t.is((await collect(store().readStream(followStreamId(fans[0]!.id, star.id)))).length, 1, 'following twice appends once');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const reply = await when('GET', `/v1/users/${star.id}/followers?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`, { headers: after(last!) }).then(t, { status: 200 });
      seen.push(...reply.body.items.map((item: { userId: string }) => item.userId));
      cursor = reply.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    t.deepEqual(seen, fans.map((fan) => fan.id).reverse());
    const following = await when('GET', `/v1/users/${fans[1]!.id}/following`, { headers: after(last!) }).then(t, { status: 200 });
    t.deepEqual(following.body.items.map((item: { userId: string }) => item.userId), [star.id]);
    const gone = await when('DELETE', `/v1/users/${star.id}/follow`, as(fans[1]!.headers)).then(t, { status: 200, body: { revision: 1 } });
    await when('DELETE', `/v1/users/${star.id}/follow`, as(fans[1]!.headers)).then(t, { status: 200, body: { revision: 1 } });
    const after2 = await call('GET', `/v1/users/${star.id}/followers`, { headers: after(gone) });
    t.deepEqual(after2.body.items.map((item: { userId: string }) => item.userId), [fans[2]!.id, fans[0]!.id]);
    await when('GET', `/v1/users/${uuidv7()}/followers`).then(t, { status: 404, code: 'FOLLOW.USER_NOT_FOUND' });
    await when('GET', `/v1/users/${star.id}/following?cursor=nope`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
  });

  it('reactions and comments (replies included, deleted ones not) are counted on the poll', async (t) => {
    const created = await create();
    const id = created.body.id as string;
    const append = (streamId: string, type: string, data: unknown) => store().append(streamId, [{ eventId: uuidv7(), type, data, metadata }], { expectedRevision: 'any' });
    const at = new Date().toISOString();
    await append(reactionStreamId(id, 'u1'), 'ReactionSet', { pollId: id, userId: 'u1', kind: 'like', previous: null, at });
    await append(reactionStreamId(id, 'u2'), 'ReactionSet', { pollId: id, userId: 'u2', kind: 'like', previous: null, at });
    await append(reactionStreamId(id, 'u2'), 'ReactionSet', { pollId: id, userId: 'u2', kind: 'wow', previous: 'like', at });
    await append(reactionStreamId(id, 'u3'), 'ReactionSet', { pollId: id, userId: 'u3', kind: 'sad', previous: null, at });
    await append(reactionStreamId(id, 'u3'), 'ReactionRemoved', { pollId: id, userId: 'u3', kind: 'sad', at });
    const [top, reply, gone] = [uuidv7(), uuidv7(), uuidv7()];
    const comment = (commentId: string, parentId: string | null) =>
      append(commentStreamId(commentId), 'CommentPosted', { commentId, pollId: id, pollAuthorId: 'as:member', authorId: 'u1', parentId, repliedToAuthorId: null, text: 'Hm', postedAt: at });
    await comment(top, null);
    await comment(reply, top);
    await comment(gone, null);
    const last = await append(commentStreamId(gone), 'CommentDeleted', { commentId: gone, pollId: id, parentId: null, deletedBy: 'u1', deletedAt: at });
    const read = await when('GET', `/v1/polls/${id}`, { headers: { 'X-Chorus-Min-Position': last.position } }).then(t, { status: 200 });
    t.deepEqual(read.body.reactions, { like: 1, love: 0, laugh: 0, wow: 1, sad: 0, angry: 0 });
    t.is(read.body.commentCount, 2);
  });

  it('Idempotency-Key: a retried create or retract answers as the first did, and appends nothing more', async (t) => {
    const key = { 'Idempotency-Key': `poll-${uuidv7()}` };
    const first = await create(question, key);
    const second = await create(question, key);
    t.is(second.status, 201);
    t.deepEqual(second.body, first.body);
    const optionId = (await call('GET', `/v1/polls/${first.body.id}`, { headers: after(first) })).body.options[0].id as string;
    await call('POST', `/v1/polls/${first.body.id}/votes`, { json: { optionId } });
    const retractKey = { 'Idempotency-Key': `retract-${uuidv7()}` };
    const retracted = await call('DELETE', `/v1/polls/${first.body.id}/votes/me`, { headers: retractKey });
    const again = await call('DELETE', `/v1/polls/${first.body.id}/votes/me`, { headers: retractKey });
    t.is(again.status, 200);
    t.deepEqual(again.body, retracted.body);
    t.is((await collect(store().readStream(voteStreamId(first.body.id, 'as:member')))).length, 2);
  });

  it('50 racing votes of one user: exactly one VoteCast, a tally of 1', async (t) => {
    const created = await create();
    const optionId = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options[1].id as string;
    const racer = await bearerFor(chorus(), ['member'], `racer-${uuidv7()}`);
    const replies = await Promise.all(Array.from({ length: 50 }, () => call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId }, headers: racer })));
    t.is(replies.filter((reply) => reply.status === 201).length, 1);
    for (const reply of replies.filter((r) => r.status !== 201)) expect(t, reply, { status: 409, code: 'POLL.ALREADY_VOTED' });
    const winner = replies.find((reply) => reply.status === 201)!;
    const voteEvents = await collect(store().readAll({ categories: ['vote'] }));
    t.is(voteEvents.filter((event) => event.type === 'VoteCast' && (event.data as { pollId: string }).pollId === created.body.id).length, 1);
    const results = await call('GET', `/v1/polls/${created.body.id}/results`, { headers: after(winner) });
    t.is(results.body.totalVotes, 1);
    t.is(results.body.options[1].votes, 1);
  });

  it('200 distinct voters in parallel: a tally of exactly 200', async (t) => {
    const created = await create();
    const options = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options as { id: string }[];
    const voters = await Promise.all(Array.from({ length: 200 }, (_, n) => bearerFor(chorus(), ['member'], `voter-${n}-${uuidv7()}`)));
    const replies = await Promise.all(voters.map((headers, n) => call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: options[n % 3]!.id }, headers })));
    t.deepEqual([...new Set(replies.map((reply) => reply.status))], [201]);
    const results = await call('GET', `/v1/polls/${created.body.id}/results`, { headers: afterAll(replies) });
    t.is(results.body.totalVotes, 200);
    t.deepEqual(results.body.options.map((o: { votes: number }) => o.votes), [67, 67, 66]);
  });

  it('the live read model equals one built afresh from the log (verify), and a blue/green rebuild serves the same results', async (t) => {
    const created = await create();
    const options = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options as { id: string }[];
    const votes: Reply[] = [];
    for (let n = 0; n < 6; n++) votes.push(await call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: options[n % 2]!.id }, headers: await bearerFor(chorus(), ['member'], `verify-${n}`) }));
    const head = afterAll(votes);
    const before = await when('GET', `/v1/polls/${created.body.id}/results`, { headers: head }).then(t, { status: 200 });
    const { system } = chorus();
    const verification = await system.verifications.verify(system.rebuilds.projection('polls'), 5);
    t.deepEqual({ ...verification, examples: verification.examples.length }, { projection: 'polls', missing: 0, extra: 0, different: 0, examples: 0 });
    t.like(await system.rebuilds.run('polls'), { status: 'completed', generation: 1 });
    const rebuilt = await when('GET', `/v1/polls/${created.body.id}/results`, { headers: head }).then(t, { status: 200 });
    t.deepEqual(rebuilt.body, before.body);
    t.like(rebuilt.body, { totalVotes: 6 });
  });

  it('a redelivery of the whole log (a crash before the checkpoint) leaves every tally as it was', async (t) => {
    const created = await create();
    const options = (await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) })).body.options as { id: string }[];
    const writes: Reply[] = [];
    for (let n = 0; n < 5; n++) writes.push(await call('POST', `/v1/polls/${created.body.id}/votes`, { json: { optionId: options[n % 3]!.id }, headers: await bearerFor(chorus(), ['member'], `redelivered-${n}`) }));
    writes.push(await call('DELETE', `/v1/polls/${created.body.id}/votes/me`, { headers: await bearerFor(chorus(), ['member'], 'redelivered-0') }));
    const head = afterAll(writes);
    const before = await when('GET', `/v1/polls/${created.body.id}/results`, { headers: head }).then(t, { status: 200 });
    const log = (await collect(store().readAll({ categories: pollsProjection.categories }))).filter((event) => pollsProjection.handles.includes(event.type));
    await chorus().system.database.db.transaction().execute((tx) => pollsProjection.apply(tx, log));
    const again = await when('GET', `/v1/polls/${created.body.id}/results`).then(t, { status: 200 });
    t.deepEqual(again.body, before.body);
    t.like(again.body, { totalVotes: 4 });
  });

  it('the expiry schedule run many times at once, beside the running one, closes a due poll exactly once', async (t) => {
    const closesAt = later(800);
    const created = await create({ ...question, closesAt });
    await call('GET', `/v1/polls/${created.body.id}`, { headers: after(created) });
    await new Promise((resolve) => setTimeout(resolve, Date.parse(closesAt) - Date.now() + 20));
    const { system } = chorus();
    const deps = { store: system.store, ids: system.ids, clock: system.clock, upcasting: system.upcasting, ai: system.aiChain, db: system.database.db, appliedPosition: system.appliedPosition, settings: { draftsBucketWindow: system.config.draftsBucketWindow } };
    const closedPerRun = await Promise.all(Array.from({ length: 5 }, () => expireDuePolls(deps)));
    t.true(closedPerRun.reduce((sum, n) => sum + n, 0) <= 1);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the running schedule's next turn
    const events = await collect(store().readStream(pollStreamId(created.body.id)));
    t.deepEqual(events.map((event) => event.type), ['PollCreated', 'PollClosed']);
    t.like(events[1]!.data, { reason: 'expired', closedBy: null, closedAt: closesAt });
  });
}
