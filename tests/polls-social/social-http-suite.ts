// Profiles, messages, conversations and notifications of the polls context, end to end: a real server on an
// ephemeral port, a real HTTP client. Users register through the API; what other parts of polls would append
// (polls, votes, comments, follows: their routes live elsewhere) is appended to the store directly.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import type { Role } from '../../domain/identity/roles.js';
import { commentStreamId, type CommentPosted } from '../../domain/polls/comment-events.js';
import { pollStreamId, type PollClosed, type PollCreated } from '../../domain/polls/poll-events.js';
import { followStreamId, type UserFollowed } from '../../domain/polls/social-events.js';
import { voteStreamId, type VoteCast } from '../../domain/polls/vote-events.js';
import type { Event } from '../../domain/kernel/decider.js';
import { metadata } from '../support/events.js';
import { bearerFor, HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';
import { UNREACHED, whileUnreachedStored } from '../support/unreached-position.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

type User = Readonly<{ id: string; name: string; headers: Record<string, string>; position: string }>;

export function socialHttpSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_POLL_INTERVAL_MS: '100' },
  });
  const { call, when, expect } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  const as = async (userId: string, roles: readonly Role[] = ['member']): Promise<Record<string, string>> => bearerFor(http.chorus(), roles, userId);

  async function register(name: string): Promise<User> {
    const reply = await call('POST', '/v1/auth/register', {
      json: { email: `${name.toLowerCase()}-${uuidv7()}@example.com`, password: 'correct horse battery', displayName: name },
      as: 'anonymous',
    });
    if (reply.status !== 201) throw new Error(`registering ${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return { id: reply.body.id, name, headers: await as(reply.body.id), position: reply.headers.get('x-chorus-position')! };
  }

  /** Appends events another part of polls would have decided; resolves to the position of the last. */
  async function appendAs(streamId: string, ...events: Event[]): Promise<string> {
    const appended = await http.chorus().system.store.append(
      streamId,
      events.map((event) => ({ eventId: uuidv7(), type: event.type, data: event.data, metadata })),
      { expectedRevision: 'any' },
    );
    return appended.position;
  }

  const now = (): string => new Date().toISOString();
  const createPoll = async (authorId: string, question = 'Tea or coffee?') => {
    const pollId = uuidv7();
    const options = [
      { id: uuidv7(), text: 'Tea' },
      { id: uuidv7(), text: 'Coffee' },
    ];
    const position = await appendAs(pollStreamId(pollId), {
      type: 'PollCreated',
      data: { pollId, authorId, question, options, closesAt: null, visibility: 'public', createdAt: now() },
    } satisfies PollCreated);
    return { pollId, options, position };
  };
  const vote = (pollId: string, voterId: string, optionId: string) =>
    appendAs(voteStreamId(pollId, voterId), { type: 'VoteCast', data: { pollId, voterId, optionId, castAt: now() } } satisfies VoteCast);
  const follow = (followerId: string, followeeId: string) =>
    appendAs(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at: now() } } satisfies UserFollowed);

  /** A GET as the user (or with these credentials), after `position` when given. */
  const read = (path: string, user: User | Record<string, string>, position?: string) => {
    const credentials: Record<string, string> = typeof user.headers === 'object' ? (user as User).headers : (user as Record<string, string>);
    return call('GET', path, { headers: { ...credentials, ...(position === undefined ? {} : { 'X-Chorus-Min-Position': position }) } });
  };

  it('a registered user has a profile with their registered name and no counts; unknown users are 404', async (t) => {
    const ann = await register('Ann');
    const reply = await read(`/v1/profiles/${ann.id}`, ann, ann.position);
    t.is(reply.status, 200);
    t.deepEqual(reply.body, { userId: ann.id, displayName: 'Ann', bio: null, avatarUrl: null, followers: 0, following: 0, polls: 0 });
    await when('GET', `/v1/profiles/${uuidv7()}`, { headers: ann.headers }).then(t, { status: 404, code: 'PROFILE.NOT_FOUND' });
    await when('GET', '/v1/profiles/not-a-user', { headers: ann.headers }).then(t, { status: 404, code: 'PROFILE.NOT_FOUND' });
    await when('GET', `/v1/profiles/${ann.id}`, { headers: await as(uuidv7(), ['viewer']) }).then(t, { status: 200, body: { userId: ann.id } });
    await when('GET', `/v1/profiles/${ann.id}`, { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
  });

  it('PATCH /v1/profiles/me changes only the fields sent; null clears the bio and the avatar', async (t) => {
    const bea = await register('Bea');
    const changed = await when('PATCH', '/v1/profiles/me', {
      json: { displayName: ' Beatrice ', bio: 'Polls about tea', avatarUrl: 'https://img.example.com/bea.png' },
      headers: bea.headers,
    }).then(t, { status: 200, body: { id: bea.id, revision: 0 }, headers: { etag: '"0"' } });
    t.like((await read(`/v1/profiles/${bea.id}`, bea, changed.body.position)).body, {
      displayName: 'Beatrice',
      bio: 'Polls about tea',
      avatarUrl: 'https://img.example.com/bea.png',
    });
    const cleared = await when('PATCH', '/v1/profiles/me', { json: { bio: null, avatarUrl: null }, headers: bea.headers }).then(t, { status: 200, body: { revision: 1 } });
    t.like((await read(`/v1/profiles/${bea.id}`, bea, cleared.body.position)).body, { displayName: 'Beatrice', bio: null, avatarUrl: null });
    const same = await when('PATCH', '/v1/profiles/me', { json: { displayName: 'Beatrice' }, headers: bea.headers }).then(t, { status: 200 });
    t.is(same.body.revision, 1, 'nothing changed, nothing appended');
    await when('PATCH', '/v1/profiles/me', { json: { bio: 'stale' }, headers: { ...bea.headers, 'If-Match': '"0"' } }).then(t, { status: 412, code: 'STREAM.WRONG_EXPECTED_REVISION' });
  });

  it('profile rules answer 400 with their codes, never a 500; viewers, strangers and nobody cannot change one', async (t) => {
    const cas = await register('Cas');
    const patch = (json: unknown, headers = cas.headers) => call('PATCH', '/v1/profiles/me', { json, headers });
    const cases: [Promise<Reply>, number, string][] = [
      [patch({ bio: 'x'.repeat(501) }), 400, 'PROFILE.BIO_TOO_LONG'],
      [patch({ avatarUrl: 'http://img.example.com/a.png' }), 400, 'PROFILE.AVATAR_URL_INVALID'],
      [patch({ avatarUrl: 'javascript:alert(1)' }), 400, 'PROFILE.AVATAR_URL_INVALID'],
      [patch({ displayName: '   ' }), 400, 'PROFILE.DISPLAY_NAME_INVALID'],
      [patch({ displayName: 'x'.repeat(101) }), 400, 'PROFILE.DISPLAY_NAME_INVALID'],
      [patch({}), 400, 'PROFILE.EMPTY_UPDATE'],
      [patch({ bio: 42 }), 400, 'REQUEST.INVALID'],
      [patch({ nickname: 'c' }), 400, 'REQUEST.INVALID'],
      [call('PATCH', '/v1/profiles/me', { raw: '{"bio":', headers: { ...cas.headers, 'content-type': 'application/json' } }), 400, 'HTTP.MALFORMED_JSON'],
      [patch({ bio: 'hi' }, await as(cas.id, ['viewer'])), 403, 'AUTH.FORBIDDEN'],
      [patch({ bio: 'hi' }, await as('not-a-user')), 404, 'PROFILE.NOT_FOUND'],
      [patch({ bio: 'hi' }, await as(uuidv7())), 404, 'PROFILE.NOT_FOUND'],
      [call('PATCH', '/v1/profiles/me', { json: { bio: 'hi' }, as: 'anonymous' }), 401, 'AUTH.REQUIRED'],
    ];
    for (const [reply, status, code] of cases) expect(t, await reply, { status, code }, code);
    const ok = await patch({ bio: 'x'.repeat(500) });
    t.is(ok.status, 200, 'exactly 500 characters is a bio');
  });

  it('PATCH honours Idempotency-Key', async (t) => {
    const dee = await register('Dee');
    const headers = { ...dee.headers, 'Idempotency-Key': `patch-${uuidv7()}` };
    const first = await call('PATCH', '/v1/profiles/me', { json: { bio: 'once' }, headers });
    const retry = await call('PATCH', '/v1/profiles/me', { json: { bio: 'once' }, headers });
    t.is(first.status, 200);
    t.deepEqual(retry.body, first.body);
    t.is(retry.headers.get('idempotent-replayed'), 'true');
    await when('PATCH', '/v1/profiles/me', { json: { bio: 'twice' }, headers }).then(t, { status: 422, code: 'IDEMPOTENCY.KEY_REUSED' });
  });

  it('profiles count followers, followed users and polls', async (t) => {
    const [eve, fay] = [await register('Eve'), await register('Fay')];
    await follow(fay.id, eve.id);
    await follow(eve.id, fay.id);
    await createPoll(eve.id);
    const { position } = await createPoll(eve.id);
    t.like((await read(`/v1/profiles/${eve.id}`, fay, position)).body, { followers: 1, following: 1, polls: 2 });
    t.like((await read(`/v1/profiles/${fay.id}`, fay, position)).body, { followers: 1, following: 1, polls: 0 });
  });

  it('messages: 201 with Location; the conversation lists both sides newest first, a page at a time', async (t) => {
    const [gus, hal] = [await register('Gus'), await register('Hal')];
    const sent: Reply[] = [];
    for (const [from, to, text] of [
      [gus, hal, 'Hi Hal'],
      [hal, gus, 'Hi Gus'],
      [gus, hal, '  Tea later?  '],
    ] as const) {
      sent.push(await call('POST', '/v1/messages', { json: { to: to.id, text }, headers: from.headers }));
    }
    for (const reply of sent) expect(t, reply, { status: 201, headers: { location: /^\/v1\/conversations\/[0-9a-f-]{36}$/, etag: '"0"' } });
    t.is(sent[0]!.headers.get('location'), `/v1/conversations/${hal.id}`);
    const last = sent[2]!.body.position;
    const first = await read(`/v1/conversations/${hal.id}?limit=2`, gus, last);
    t.is(first.status, 200);
    t.deepEqual(
      first.body.items.map((m: { text: string; from: string; to: string }) => [m.text, m.from, m.to]),
      [
        ['Tea later?', gus.id, hal.id],
        ['Hi Gus', hal.id, gus.id],
      ],
    );
    t.is(typeof first.body.nextCursor, 'string');
    const second = await read(`/v1/conversations/${hal.id}?limit=2&cursor=${first.body.nextCursor}`, gus);
    t.deepEqual(second.body.items.map((m: { id: string }) => m.id), [sent[0]!.body.id]);
    t.is(second.body.nextCursor, null);
    const halsView = await read(`/v1/conversations/${gus.id}`, hal);
    t.deepEqual(halsView.body.items.map((m: { id: string }) => m.id), [sent[2]!.body.id, sent[1]!.body.id, sent[0]!.body.id], 'the same conversation, from the other side');
  });

  it('conversations: the latest message and the unread count per counterpart; reading one sets it to 0', async (t) => {
    const [ida, jon, kim] = [await register('Ida'), await register('Jon'), await register('Kim')];
    await call('POST', '/v1/messages', { json: { to: ida.id, text: 'one' }, headers: jon.headers });
    await call('POST', '/v1/messages', { json: { to: ida.id, text: 'two' }, headers: jon.headers });
    await call('POST', '/v1/messages', { json: { to: jon.id, text: 'reply' }, headers: ida.headers });
    await call('POST', '/v1/messages', { json: { to: ida.id, text: 'three' }, headers: jon.headers });
    const latest = await call('POST', '/v1/messages', { json: { to: ida.id, text: 'hello from Kim' }, headers: kim.headers });
    const list = await read('/v1/conversations', ida, latest.body.position);
    t.is(list.status, 200);
    t.deepEqual(
      list.body.items.map((c: { userId: string; unreadCount: number; lastMessage: { text: string; from: string; to: string } }) => [c.userId, c.unreadCount, c.lastMessage.text, c.lastMessage.from, c.lastMessage.to]),
      [
        [kim.id, 1, 'hello from Kim', kim.id, ida.id],
        [jon.id, 3, 'three', jon.id, ida.id],
      ],
    );
    t.is(list.body.nextCursor, null);
    const paged = await read('/v1/conversations?limit=1', ida);
    t.is(paged.body.items[0].userId, kim.id);
    const rest = await read(`/v1/conversations?limit=1&cursor=${paged.body.nextCursor}`, ida);
    t.deepEqual(rest.body.items.map((c: { userId: string }) => c.userId), [jon.id]);
    const marked = await when('POST', `/v1/conversations/${jon.id}/read`, { headers: ida.headers }).then(t, { status: 200, body: { revision: 0 } });
    const after = await read('/v1/conversations', ida, marked.body.position);
    t.deepEqual(after.body.items.map((c: { unreadCount: number }) => c.unreadCount), [1, 0]);
    const notifications = await read('/v1/notifications', ida, marked.body.position);
    t.deepEqual(
      notifications.body.items.map((n: { read: boolean; data: { from: string } }) => [n.data.from, n.read]).sort(),
      [[jon.id, true], [jon.id, true], [jon.id, true], [kim.id, false]].sort(),
      "reading Jon's conversation read the notifications of his messages",
    );
    const jons = await read('/v1/conversations', jon, marked.body.position);
    t.deepEqual(jons.body.items.map((c: { userId: string; unreadCount: number }) => [c.userId, c.unreadCount]), [[ida.id, 1]], "Jon's side counts Ida's reply");
  });

  it('only the two participants read a conversation: a third user and an admin see none of it', async (t) => {
    const [lea, max] = [await register('Lea'), await register('Max')];
    const sent = await call('POST', '/v1/messages', { json: { to: max.id, text: 'between us' }, headers: lea.headers });
    const position = sent.body.position;
    t.is((await read(`/v1/conversations/${max.id}`, lea, position)).body.items.length, 1);
    const nosy = await register('Ned');
    const admin = await as(uuidv7(), ['admin']);
    for (const headers of [nosy.headers, admin]) {
      t.deepEqual((await read(`/v1/conversations/${max.id}`, headers, position)).body, { items: [], nextCursor: null });
      t.deepEqual((await read(`/v1/conversations/${lea.id}`, headers, position)).body, { items: [], nextCursor: null });
      t.deepEqual((await read('/v1/conversations', headers, position)).body, { items: [], nextCursor: null });
    }
  });

  it('message and conversation rules answer with their codes', async (t) => {
    const [ola, pat] = [await register('Ola'), await register('Pat')];
    const send = (json: unknown, headers = ola.headers) => call('POST', '/v1/messages', { json, headers });
    const cases: [Promise<Reply>, number, string][] = [
      [send({ to: ola.id, text: 'me' }), 400, 'MESSAGE.SELF'],
      [send({ to: uuidv7(), text: 'anyone?' }), 404, 'MESSAGE.RECIPIENT_NOT_FOUND'],
      [send({ to: 'not-a-user', text: 'anyone?' }), 404, 'MESSAGE.RECIPIENT_NOT_FOUND'],
      [send({ to: pat.id, text: '   ' }), 400, 'MESSAGE.TEXT_EMPTY'],
      [send({ to: pat.id, text: 'x'.repeat(2001) }), 400, 'MESSAGE.TEXT_TOO_LONG'],
      [send({ to: pat.id }), 400, 'REQUEST.INVALID'],
      [send({ to: pat.id, text: 7 }), 400, 'REQUEST.INVALID'],
      [send({ to: pat.id, text: 'hi' }, await as(ola.id, ['viewer'])), 403, 'AUTH.FORBIDDEN'],
      [send({ to: pat.id, text: 'hi' }, await as('as:member')), 403, 'MESSAGE.SENDER_NOT_A_USER'],
      [call('POST', '/v1/messages', { json: { to: pat.id, text: 'hi' }, as: 'anonymous' }), 401, 'AUTH.REQUIRED'],
      [call('POST', `/v1/conversations/${ola.id}/read`, { headers: ola.headers }), 400, 'MESSAGE.SELF'],
      [call('POST', `/v1/conversations/${uuidv7()}/read`, { headers: ola.headers }), 404, 'MESSAGE.USER_NOT_FOUND'],
      [call('POST', '/v1/conversations/nobody/read', { headers: ola.headers }), 404, 'MESSAGE.USER_NOT_FOUND'],
      [call('POST', `/v1/conversations/${pat.id}/read`, { headers: await as(ola.id, ['viewer']) }), 403, 'AUTH.FORBIDDEN'],
      [call('GET', '/v1/conversations/nobody', { headers: ola.headers }), 404, 'MESSAGE.USER_NOT_FOUND'],
      [call('GET', `/v1/conversations/${pat.id}?limit=0`, { headers: ola.headers }), 400, 'REQUEST.INVALID'],
      [call('GET', `/v1/conversations/${pat.id}?limit=101`, { headers: ola.headers }), 400, 'REQUEST.INVALID'],
      [call('GET', `/v1/conversations/${pat.id}?cursor=bogus`, { headers: ola.headers }), 400, 'QUERY.INVALID_CURSOR'],
      [call('GET', '/v1/conversations?cursor=bogus', { headers: ola.headers }), 400, 'QUERY.INVALID_CURSOR'],
      [call('GET', '/v1/conversations', { as: 'anonymous' }), 401, 'AUTH.REQUIRED'],
    ];
    for (const [reply, status, code] of cases) expect(t, await reply, { status, code }, code);
    const ok = await send({ to: pat.id, text: 'x'.repeat(2000) });
    t.is(ok.status, 201, 'exactly 2000 characters is a message');
    await when('GET', `/v1/conversations/${pat.id}`, { headers: await as(ola.id, ['viewer']) }).then(t, { status: 200 });
  });

  it('POST /v1/messages honours Idempotency-Key: one message, the same answer', async (t) => {
    const [quin, rae] = [await register('Quin'), await register('Rae')];
    const headers = { ...quin.headers, 'Idempotency-Key': `message-${uuidv7()}` };
    const first = await call('POST', '/v1/messages', { json: { to: rae.id, text: 'only once' }, headers });
    const retry = await call('POST', '/v1/messages', { json: { to: rae.id, text: 'only once' }, headers });
    t.is(first.status, 201);
    t.deepEqual(retry.body, first.body);
    t.is(retry.headers.get('location'), first.headers.get('location'));
    const page = await read(`/v1/conversations/${rae.id}`, quin, first.body.position);
    t.is(page.body.items.length, 1);
  });

  it('notifications: follows, votes counted in one row per poll, comments, replies, closes and messages; never your own', async (t) => {
    const [sam, tia, uma] = [await register('Sam'), await register('Tia'), await register('Uma')];
    await follow(tia.id, sam.id);
    await follow(sam.id, sam.id);
    const poll = await createPoll(sam.id, 'Best tea?');
    await vote(poll.pollId, tia.id, poll.options[0]!.id);
    await vote(poll.pollId, sam.id, poll.options[1]!.id);
    await vote(poll.pollId, uma.id, poll.options[0]!.id);
    const commentId = uuidv7();
    const comment = (authorId: string, repliedToAuthorId: string | null, text: string): CommentPosted => ({
      type: 'CommentPosted',
      data: { commentId: uuidv7(), pollId: poll.pollId, pollAuthorId: sam.id, authorId, parentId: repliedToAuthorId === null ? null : commentId, repliedToAuthorId, text, postedAt: now() },
    });
    await appendAs(commentStreamId(commentId), { ...comment(tia.id, null, 'Green'), data: { ...comment(tia.id, null, 'Green').data, commentId } });
    await appendAs(commentStreamId(uuidv7()), comment(uma.id, tia.id, 'Black, surely'));
    await appendAs(commentStreamId(uuidv7()), comment(sam.id, tia.id, 'Thanks Tia'));
    await appendAs(pollStreamId(poll.pollId), { type: 'PollClosed', data: { pollId: poll.pollId, closedBy: sam.id, reason: 'closed', closedAt: now() } } satisfies PollClosed);
    const message = await call('POST', '/v1/messages', { json: { to: sam.id, text: 'See my comment?' }, headers: tia.headers });

    const sams = await read('/v1/notifications', sam, message.body.position);
    t.is(sams.status, 200);
    // Events a millisecond apart may share their instant: the order among those is by id, so types compare as sets.
    const types = (reply: Reply) => reply.body.items.map((n: { type: string }) => n.type).sort();
    const newestFirst = (reply: Reply) => {
      const instants = reply.body.items.map((n: { updatedAt: string }) => n.updatedAt);
      t.deepEqual(instants, [...instants].sort().reverse(), 'newest first');
    };
    t.deepEqual(types(sams), ['comment', 'comment', 'follow', 'message', 'votes']);
    newestFirst(sams);
    t.is(sams.body.unreadCount, 5);
    t.is(sams.body.nextCursor, null);
    const votes = sams.body.items.find((n: { type: string }) => n.type === 'votes');
    t.deepEqual(votes.data, { pollId: poll.pollId, question: 'Best tea?', count: 2 });
    const ofType = (reply: Reply, type: string) => reply.body.items.find((n: { type: string }) => n.type === type);
    t.like(ofType(sams, 'message'), { read: false, data: { from: tia.id, excerpt: 'See my comment?' } });
    t.like(ofType(sams, 'follow'), { data: { followerId: tia.id } });
    t.regex(ofType(sams, 'follow').createdAt, /^\d{4}-\d{2}-\d{2}T/);

    const tias = await read('/v1/notifications', tia, message.body.position);
    t.deepEqual(types(tias), ['poll_closed', 'reply', 'reply']);
    newestFirst(tias);
    t.like(ofType(tias, 'poll_closed').data, { pollId: poll.pollId, question: 'Best tea?', totalVotes: 3, reason: 'closed', yourOptionId: poll.options[0]!.id });
    t.deepEqual(ofType(tias, 'poll_closed').data.winningOptions, [{ id: poll.options[0]!.id, text: 'Tea', votes: 2 }]);
    const umas = await read('/v1/notifications', uma, message.body.position);
    t.deepEqual(types(umas), ['poll_closed'], 'Sam closed it: Sam hears nothing of it; Uma voted');
  });

  it('notifications: more votes count up the unread row; once read, new votes start a new one', async (t) => {
    const [val, wes] = [await register('Val'), await register('Wes')];
    const poll = await createPoll(val.id);
    let position = await vote(poll.pollId, wes.id, poll.options[0]!.id);
    const first = await read('/v1/notifications', val, position);
    t.is(first.body.items.length, 1);
    const votesId = first.body.items[0].id;
    const marked = await when('POST', `/v1/notifications/${votesId}/read`, { headers: val.headers }).then(t, { status: 200, body: { id: votesId } });
    await read('/v1/notifications', val, marked.body.position);
    const again = await when('POST', `/v1/notifications/${votesId}/read`, { headers: val.headers }).then(t, { status: 200 });
    t.is(again.body.revision, marked.body.revision, 'read already: nothing appended');
    for (const voter of [await register('Xia'), await register('Yan')]) position = await vote(poll.pollId, voter.id, poll.options[1]!.id);
    const later = await read('/v1/notifications', val, [position, marked.body.position].sort((a, b) => http.chorus().system.store.comparePositions(a, b)).at(-1));
    t.deepEqual(
      later.body.items.map((n: { read: boolean; data: { count: number } }) => [n.read, n.data.count]),
      [
        [false, 2],
        [true, 1],
      ],
    );
    t.is(later.body.unreadCount, 1);
    const unread = await read('/v1/notifications?unread=true', val);
    t.deepEqual(unread.body.items.map((n: { read: boolean }) => n.read), [false]);
    const readOnes = await read('/v1/notifications?unread=false', val);
    t.deepEqual(readOnes.body.items.map((n: { id: string }) => n.id), [votesId]);
  });

  it('notifications: a page at a time; read-all; codes for what is not the caller’s or not valid', async (t) => {
    const zoe = await register('Zoe');
    let position = '';
    for (let n = 0; n < 3; n++) position = await follow((await register(`Fan${n}`)).id, zoe.id);
    const page = await read('/v1/notifications?limit=2', zoe, position);
    t.is(page.body.items.length, 2);
    t.is(page.body.unreadCount, 3);
    const rest = await read(`/v1/notifications?limit=2&cursor=${page.body.nextCursor}`, zoe);
    t.is(rest.body.items.length, 1);
    t.is(rest.body.nextCursor, null);
    const all = [...page.body.items, ...rest.body.items].map((n: { id: string }) => n.id);
    t.is(new Set(all).size, 3);

    const other = await register('Ova');
    await when('POST', `/v1/notifications/${all[0]}/read`, { headers: other.headers }).then(t, { status: 404, code: 'NOTIFICATION.NOT_FOUND' });
    await when('POST', `/v1/notifications/${uuidv7()}/read`, { headers: zoe.headers }).then(t, { status: 404, code: 'NOTIFICATION.NOT_FOUND' });
    await when('POST', '/v1/notifications/not-an-id/read', { headers: zoe.headers }).then(t, { status: 404, code: 'NOTIFICATION.NOT_FOUND' });
    await when('POST', `/v1/notifications/${all[0]}/read`, { headers: await as(zoe.id, ['viewer']) }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('POST', '/v1/notifications/read-all', { headers: await as(zoe.id, ['viewer']) }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('GET', '/v1/notifications?unread=yes', { headers: zoe.headers }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/notifications?limit=101', { headers: zoe.headers }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/notifications?cursor=bogus', { headers: zoe.headers }).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    await when('GET', '/v1/notifications', { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
    await when('GET', '/v1/notifications', { headers: await as(zoe.id, ['viewer']) }).then(t, { status: 200, body: { unreadCount: 3 } });

    const key = { 'Idempotency-Key': `read-all-${uuidv7()}` };
    const readAll = await when('POST', '/v1/notifications/read-all', { headers: { ...zoe.headers, ...key } }).then(t, { status: 200 });
    const replayed = await call('POST', '/v1/notifications/read-all', { headers: { ...zoe.headers, ...key } });
    t.deepEqual(replayed.body, readAll.body);
    t.is(replayed.headers.get('idempotent-replayed'), 'true');
    const after = await read('/v1/notifications', zoe, readAll.body.position);
    t.is(after.body.unreadCount, 0);
    t.true(after.body.items.every((n: { read: boolean }) => n.read));
    t.is((await read('/v1/notifications', other, readAll.body.position)).body.unreadCount, 0, 'nothing of anyone else changed');
  });

  it('each social read model verifies against the log, and a rebuild from it gives the same answers, read marks included', async (t) => {
    const [ben, cy] = [await register('Ben'), await register('Cy')];
    await follow(cy.id, ben.id);
    const poll = await createPoll(ben.id);
    await vote(poll.pollId, cy.id, poll.options[0]!.id);
    await call('POST', '/v1/messages', { json: { to: ben.id, text: 'hello' }, headers: cy.headers });
    await call('PATCH', '/v1/profiles/me', { json: { bio: 'Rebuilt' }, headers: ben.headers });
    const position = await appendAs(pollStreamId(poll.pollId), { type: 'PollClosed', data: { pollId: poll.pollId, closedBy: ben.id, reason: 'closed', closedAt: now() } } satisfies PollClosed);
    const first = await read('/v1/notifications', ben, position);
    const votes = first.body.items.find((n: { type: string }) => n.type === 'votes');
    const marked = await call('POST', `/v1/notifications/${votes.id}/read`, { headers: ben.headers });
    const conversationRead = await call('POST', `/v1/conversations/${cy.id}/read`, { headers: ben.headers });
    const last = [marked.body.position, conversationRead.body.position].sort((a, b) => http.chorus().system.store.comparePositions(a, b)).at(-1);
    const views = async () =>
      Promise.all([
        read('/v1/notifications', ben, last).then((reply) => reply.body),
        read('/v1/notifications', cy, last).then((reply) => reply.body),
        read(`/v1/profiles/${ben.id}`, ben, last).then((reply) => reply.body),
        read('/v1/conversations', ben, last).then((reply) => reply.body),
        read(`/v1/conversations/${cy.id}`, ben, last).then((reply) => reply.body),
      ]);
    const before = await views();
    t.is(before[0].unreadCount, 1, 'the follow: the votes were marked read, the message by reading its conversation');
    const { system } = http.chorus();
    for (const name of ['polls-notifications', 'polls-profiles', 'polls-conversations']) {
      const verified = await system.verifications.verify(system.projections.find((projection) => projection.name === name)!, 5);
      t.like(verified, { missing: 0, extra: 0, different: 0 }, `${name}: the live rows are those the log gives`);
      t.like(await system.rebuilds.run(name), { status: 'completed' }, name);
    }
    t.deepEqual(await views(), before);
  });

  it('X-Chorus-Min-Position on every read: 400 when malformed or past every event stored, 503 with Retry-After when not reached in time', async (t) => {
    const amy = await register('Amy');
    for (const path of [`/v1/profiles/${amy.id}`, '/v1/conversations', `/v1/conversations/${uuidv7()}`, '/v1/notifications']) {
      await when('GET', path, { headers: { ...amy.headers, 'X-Chorus-Min-Position': 'yesterday' } }).then(t, { status: 400, code: 'REQUEST.INVALID_POSITION' });
    }
    await when('GET', '/v1/notifications', { headers: { ...amy.headers, 'X-Chorus-Min-Position': UNREACHED } }).then(t, { status: 400, code: 'REQUEST.UNKNOWN_POSITION' });
    await whileUnreachedStored(http.chorus().system.store, () =>
      when('GET', '/v1/notifications', { headers: { ...amy.headers, 'X-Chorus-Min-Position': UNREACHED } }).then(t, {
        status: 503,
        code: 'READ_MODEL.NOT_CAUGHT_UP',
        headers: { 'retry-after': '1' },
      }),
    );
  });

  it('the notifications processor runs (in the enricher role), and the routes are documented', async (t) => {
    const ready = await call('GET', '/health/ready');
    t.like(ready.body.checks, {
      workers: { 'projection.polls-notifications': 'running', 'projection.polls-profiles': 'running', 'projection.polls-conversations': 'running' },
    });
    const openapi = (await call('GET', '/openapi.json')).body;
    t.truthy(openapi.paths['/v1/profiles/me'].patch);
    t.truthy(openapi.paths['/v1/profiles/me'].patch.parameters.some((p: { name: string }) => p.name === 'Idempotency-Key'));
    for (const path of ['/v1/messages', '/v1/conversations/{userId}/read', '/v1/notifications/{id}/read', '/v1/notifications/read-all']) t.truthy(openapi.paths[path].post, path);
    for (const path of ['/v1/profiles/{userId}', '/v1/conversations', '/v1/conversations/{userId}', '/v1/notifications']) t.truthy(openapi.paths[path].get, path);
  });
}
