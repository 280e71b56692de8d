// The diagrams API end to end: a real server on an ephemeral port, a real HTTP client, every route and its errors,
// the access rules (a private diagram is 404 for others), If-Match, the live stream. Run on each profile.
import test, { type ExecutionContext } from 'ava';
import { collect } from '../support/events.js';
import { bearerFor, HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';
import { openSse, type SseFrame, type SseReader } from '../support/server-sent-events.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

const DOT = 'digraph checkout {\n  cart -> payment;\n  payment -> shipping;\n}';
const DOT_2 = 'digraph checkout {\n  cart -> payment;\n  payment -> invoice;\n  invoice -> shipping;\n}';
const BAD_DOT = 'digraph broken {\n  a -> b;\n  -> c;\n}';
const MERMAID = 'flowchart TD\n  A[Cart] --> B[Payment]';

export function diagramsHttpSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '10000', CHORUS_POLL_INTERVAL_MS: '100', CHORUS_LIVE_HEARTBEAT_MS: '300' },
    as: ['member'],
  });
  const { call, when, chorus } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  const as = (sub: string, roles: readonly ('member' | 'viewer' | 'admin' | 'agent')[] = ['member']) => bearerFor(chorus(), roles, sub);
  const after = (position: string | null): Record<string, string> => (position === null ? {} : { 'X-Chorus-Min-Position': position });
  async function create(json: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Reply> {
    const reply = await call('POST', '/v1/diagrams', { json: { title: 'Checkout', format: 'dot', source: DOT, ...json }, headers });
    if (reply.status !== 201) throw new Error(`create: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  }
  /** A version saved on top of `revision` (If-Match is required). */
  async function addVersion(id: string, source: string, revision: number, headers: Record<string, string> = {}): Promise<Reply> {
    const reply = await call('POST', `/v1/diagrams/${id}/versions`, { json: { source }, headers: { 'If-Match': `"${revision}"`, ...headers } });
    if (reply.status !== 201) throw new Error(`version: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  }
  const unknown = '01a2041a-9df6-7589-a81b-b54b1095756f';

  it('POST /v1/diagrams creates: 201, Location, ETag, version 1; the diagram reads back with its source', async (t) => {
    const alice = await as('alice-create');
    const reply = await when('POST', '/v1/diagrams', { json: { title: '  Checkout ', format: 'dot', source: DOT, message: 'first draft' }, headers: alice }).then(t, {
      status: 201,
      headers: { etag: '"0"' },
      body: { revision: 0, version: 1 },
    });
    t.is(reply.headers.get('location'), `/v1/diagrams/${reply.body.id}`);
    t.is(reply.headers.get('x-chorus-position'), reply.body.position);
    const read = await when('GET', `/v1/diagrams/${reply.body.id}`, { headers: { ...alice, ...after(reply.body.position) } }).then(t, { status: 200, headers: { etag: '"0"' } });
    t.like(read.body, { id: reply.body.id, title: 'Checkout', format: 'dot', visibility: 'private', source: DOT, latestVersion: 1, ownerId: 'alice-create', deleted: false, generated: null, revision: 0 });
    t.regex(read.body.sourceHash, /^[0-9a-f]{64}$/);
    await when('GET', `/v1/diagrams/${reply.body.id}`, { headers: { ...alice, 'If-None-Match': '"0"' } }).then(t, { status: 304 });
    const version = await when('GET', `/v1/diagrams/${reply.body.id}/versions/1`, { headers: alice }).then(t, { status: 200 });
    t.like(version.body, { diagramId: reply.body.id, version: 1, source: DOT, message: 'first draft', author: 'alice-create', restoredFrom: null });
  });

  it('a DOT source that does not parse is a 400 naming its line; a Mermaid source needs no renderer', async (t) => {
    const reply = await when('POST', '/v1/diagrams', { json: { title: 'Broken', format: 'dot', source: BAD_DOT } }).then(t, { status: 400, code: 'DIAGRAM.INVALID_SOURCE' });
    t.deepEqual(reply.body.errors, [{ path: 'body.source', line: 3, message: "syntax error in line 3 near '->'" }]);
    t.regex(reply.body.detail, /line 3/);
    await when('POST', '/v1/diagrams', { json: { title: 'Flow', format: 'mermaid', source: MERMAID, visibility: 'shared' } }).then(t, { status: 201 });
    const { body } = await create();
    const version = await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: BAD_DOT }, headers: { 'If-Match': '"0"' } }).then(t, { status: 400, code: 'DIAGRAM.INVALID_SOURCE' });
    t.is(version.body.errors[0].line, 3);
    const events = await collect(chorus().system.store.readStream(`diagram-${body.id}`));
    t.deepEqual(events.map((event) => event.type), ['DiagramCreated'], 'the refused version appended nothing');
  });

  it('invalid bodies, queries and ids answer 400 or 404, never a 500', async (t) => {
    const cases: [unknown, string[]][] = [
      [{ title: '', format: 'dot', source: DOT }, ['body.title']],
      [{ title: 'x'.repeat(201), format: 'dot', source: DOT }, ['body.title']],
      [{ title: 'T', format: 'svg', source: DOT }, ['body.format']],
      [{ title: 'T', format: 'dot', source: '' }, ['body.source']],
      [{ title: 'T', format: 'dot', source: '  \n ' }, ['body.source']],
      [{ title: 'T', format: 'mermaid', source: 'x'.repeat(200_001) }, ['body.source']],
      [{ title: 'T', format: 'dot', source: DOT, visibility: 'public' }, ['body.visibility']],
      [{ title: 'T', format: 'dot', source: DOT, message: 'm'.repeat(1001) }, ['body.message']],
      [{ title: 'T', format: 'dot', source: DOT, owner: 'x' }, ['body']],
      [[], ['body']],
    ];
    for (const [json, paths] of cases) {
      const reply = await when('POST', '/v1/diagrams', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
      t.deepEqual(reply.body.errors.map((e: { path: string }) => e.path), paths, JSON.stringify(json).slice(0, 100));
    }
    await when('POST', '/v1/diagrams', { raw: '{"title":', headers: { 'content-type': 'application/json' } }).then(t, { status: 400 });
    const { body } = await create();
    for (const json of [{}, { source: '' }, { source: DOT, message: '' }, { source: DOT, extra: 1 }]) {
      await when('POST', `/v1/diagrams/${body.id}/versions`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
    for (const json of [{}, { version: 0 }, { version: 1.5 }, { version: '1' }]) await when('POST', `/v1/diagrams/${body.id}/restore`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    for (const json of [{}, { title: ' ' }, { title: 'x'.repeat(201) }]) await when('POST', `/v1/diagrams/${body.id}/rename`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    for (const query of ['limit=0', 'limit=101', 'format=svg', 'deleted=yes', 'cursor=garbage', 'unknown=1']) await when('GET', `/v1/diagrams?${query}`).then(t, { status: 400 });
    await when('GET', `/v1/diagrams/${body.id}/versions?cursor=WyJ4Il0`, { headers: after(body.position) }).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    for (const query of ['from=1', 'from=0&to=1', 'from=a&to=1', 'from=1&to=-2']) await when('GET', `/v1/diagrams/${body.id}/diff?${query}`).then(t, { status: 400 });
    for (const n of ['0', '2', 'abc', '1.5', '99999999999']) {
      await when('GET', `/v1/diagrams/${body.id}/versions/${n}`, { headers: after(body.position) }).then(t, { status: 404, code: 'DIAGRAM.VERSION_NOT_FOUND' });
    }
    for (const id of [unknown, 'not-a-uuid']) {
      await when('GET', `/v1/diagrams/${id}`).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
      await when('POST', `/v1/diagrams/${id}/versions`, { json: { source: DOT } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
      await when('POST', `/v1/diagrams/${id}/rename`, { json: { title: 'T' } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
      await when('POST', `/v1/diagrams/${id}/restore`, { json: { version: 1 } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    }
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2 }, headers: { 'If-Match': 'garbage' } }).then(t, { status: 400, code: 'REQUEST.INVALID_IF_MATCH' });
  });

  it('a source of 200,000 code points is taken even sent as \\u escapes (surrogate pairs); one more is refused', async (t) => {
    // A Mermaid type line, a comment line, then emoji (two UTF-16 units, two \u escapes each) up to `count` code points.
    const head = 'graph TD\\n%% ';
    const escaped = (count: number): string => `{"title":"Big","format":"mermaid","source":"${head}${'\\ud83d\\ude00'.repeat(count - 12)}"}`;
    const big = await when('POST', '/v1/diagrams', { raw: escaped(200_000), headers: { 'content-type': 'application/json' } }).then(t, { status: 201 });
    const read = await call('GET', `/v1/diagrams/${big.body.id}`, { headers: after(big.body.position) });
    t.is([...read.body.source].length, 200_000);
    const refused = await when('POST', '/v1/diagrams', { raw: escaped(200_001), headers: { 'content-type': 'application/json' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    t.is(refused.body.errors[0].path, 'body.source');
  });

  it('versions: If-Match guards them (a stale revision is 412), the same source again is a 200 no-op, and they list latest first', async (t) => {
    const { body } = await create({ visibility: 'shared' });
    const second = await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2, message: 'add an invoice' }, headers: { 'If-Match': '"0"' } }).then(t, {
      status: 201,
      headers: { etag: '"1"' },
      body: { id: body.id, revision: 1, version: 2 },
    });
    t.is(second.headers.get('location'), `/v1/diagrams/${body.id}/versions/2`);
    // Bob edited from revision 0 too: his save must not overwrite Alice's silently.
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT }, headers: { 'If-Match': '"0"', ...(await as('bob-versions')) } }).then(t, {
      status: 412,
      code: 'STREAM.WRONG_EXPECTED_REVISION',
    });
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2 }, headers: { 'If-Match': '"1"' } }).then(t, { status: 200, body: { version: 2, revision: 1 } });
    // Without If-Match (or with `*`) nothing is saved: a version lands only on top of a revision its author saw.
    for (const headers of [{}, { 'If-Match': '*' }] as Record<string, string>[]) {
      await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT }, headers }).then(t, { status: 428, code: 'REQUEST.IF_MATCH_REQUIRED' });
      await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 1 }, headers }).then(t, { status: 428, code: 'REQUEST.IF_MATCH_REQUIRED' });
    }
    const third = await addVersion(body.id, `${DOT}\n`, 1);
    t.is(third.body.version, 3);
    const page = await when('GET', `/v1/diagrams/${body.id}/versions?limit=2`, { headers: after(third.body.position) }).then(t, { status: 200 });
    t.deepEqual(page.body.items.map((item: { version: number }) => item.version), [3, 2]);
    t.like(page.body.items[1], { message: 'add an invoice', author: 'as:member', restoredFrom: null });
    t.is(page.body.items[0].source, undefined, 'lists leave sources out');
    const rest = await call('GET', `/v1/diagrams/${body.id}/versions?limit=2&cursor=${page.body.nextCursor}`);
    t.deepEqual(rest.body.items.map((item: { version: number }) => item.version), [1]);
    t.is(rest.body.nextCursor, null);
  });

  it('diff: a unified diff between two versions; a version past the latest is 404', async (t) => {
    const { body } = await create();
    const second = await addVersion(body.id, DOT_2, 0);
    const reply = await when('GET', `/v1/diagrams/${body.id}/diff?from=1&to=2`, { headers: after(second.body.position) }).then(t, { status: 200, body: { diagramId: body.id, from: 1, to: 2 } });
    t.regex(reply.body.diff, /^--- v1\n\+\+\+ v2\n@@ -1,4 \+1,5 @@\n/m);
    t.regex(reply.body.diff, /^- {2}payment -> shipping;$/m);
    t.regex(reply.body.diff, /^\+ {2}invoice -> shipping;$/m);
    await when('GET', `/v1/diagrams/${body.id}/diff?from=1&to=3`).then(t, { status: 404, code: 'DIAGRAM.VERSION_NOT_FOUND' });
  });

  it('restore adds a version equal to an older one; restoring the latest source changes nothing', async (t) => {
    const { body } = await create();
    await addVersion(body.id, DOT_2, 0);
    const restored = await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 1 }, headers: { 'If-Match': '"1"' } }).then(t, { status: 201, body: { version: 3, revision: 2 } });
    const read = await call('GET', `/v1/diagrams/${body.id}/versions/3`, { headers: after(restored.body.position) });
    t.like(read.body, { version: 3, source: DOT, restoredFrom: 1, message: 'Restored version 1' });
    await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 1 }, headers: { 'If-Match': '"2"' } }).then(t, { status: 200, body: { version: 3, revision: 2 } });
    await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 4 }, headers: { 'If-Match': '"2"' } }).then(t, { status: 404, code: 'DIAGRAM.VERSION_NOT_FOUND' });
    await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 2 }, headers: { 'If-Match': '"1"' } }).then(t, { status: 412 });
  });

  it('a private diagram is 404 for another member (read, list, versions, diff, live and every command); admins see it', async (t) => {
    const alice = await as('alice-private');
    const bob = await as('bob-private');
    const { body } = await create({ title: 'Secret plan' }, alice);
    const wait = after(body.position);
    for (const path of [`/v1/diagrams/${body.id}`, `/v1/diagrams/${body.id}/versions`, `/v1/diagrams/${body.id}/versions/1`, `/v1/diagrams/${body.id}/diff?from=1&to=1`, `/v1/diagrams/${body.id}/live`]) {
      await when('GET', path, { headers: { ...bob, ...wait } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
      await when('GET', path, { headers: { ...(await as('viewer-private', ['viewer'])), ...wait } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    }
    for (const [path, json] of [['versions', { source: DOT_2 }], ['restore', { version: 1 }], ['rename', { title: 'Mine' }], ['delete', undefined], ['undelete', undefined]] as const) {
      await when('POST', `/v1/diagrams/${body.id}/${path}`, { json, headers: bob }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    }
    const listed = await call('GET', '/v1/diagrams?q=secret', { headers: { ...bob, ...wait } });
    t.deepEqual(listed.body.items, []);
    const mine = await call('GET', '/v1/diagrams?q=secret', { headers: { ...alice, ...wait } });
    t.deepEqual(mine.body.items.map((item: { id: string }) => item.id), [body.id]);
    await when('GET', `/v1/diagrams/${body.id}`, { as: ['admin'], headers: wait }).then(t, { status: 200, body: { title: 'Secret plan' } });
    const events = await collect(chorus().system.store.readStream(`diagram-${body.id}`));
    t.deepEqual(events.map((event) => event.type), ['DiagramCreated'], 'refused commands appended nothing');
  });

  it('a shared diagram: viewers read it, any member adds versions, only its owner renames or deletes it', async (t) => {
    const alice = await as('alice-shared');
    const bob = await as('bob-shared');
    const viewer = await as('viewer-shared', ['viewer']);
    const { body } = await create({ visibility: 'shared' }, alice);
    await when('GET', `/v1/diagrams/${body.id}`, { headers: { ...viewer, ...after(body.position) } }).then(t, { status: 200, body: { visibility: 'shared' } });
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2 }, headers: viewer }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('POST', '/v1/diagrams', { json: { title: 'T', format: 'dot', source: DOT }, headers: viewer }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2 }, headers: { ...bob, 'If-Match': '"0"' } }).then(t, { status: 201, body: { version: 2 } });
    await when('POST', `/v1/diagrams/${body.id}/restore`, { json: { version: 1 }, headers: { ...bob, 'If-Match': '"1"' } }).then(t, { status: 201, body: { version: 3 } });
    for (const [path, json] of [['rename', { title: 'Bob\'s' }], ['delete', undefined], ['undelete', undefined]] as const) {
      await when('POST', `/v1/diagrams/${body.id}/${path}`, { json, headers: bob }).then(t, { status: 403, code: 'DIAGRAM.NOT_OWNER' });
    }
    const renamed = await when('POST', `/v1/diagrams/${body.id}/rename`, { json: { title: 'Checkout v2' }, headers: { ...alice, 'If-Match': '"2"' } }).then(t, {
      status: 200,
      headers: { etag: '"3"' },
      body: { id: body.id, revision: 3, version: 3 },
    });
    await when('POST', `/v1/diagrams/${body.id}/rename`, { json: { title: 'Stale' }, headers: { ...alice, 'If-Match': '"2"' } }).then(t, { status: 412 });
    await when('GET', `/v1/diagrams/${body.id}`, { headers: { ...viewer, ...after(renamed.body.position) } }).then(t, { status: 200, body: { title: 'Checkout v2', latestVersion: 3 } });
    for (const path of ['/v1/diagrams', `/v1/diagrams/${body.id}`]) await when('GET', path, { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
  });

  it('a deleted diagram is 404 for others, flagged for its owner, takes only undelete (409 otherwise), and comes back', async (t) => {
    const alice = await as('alice-deleted');
    const bob = await as('bob-deleted');
    const { body } = await create({ visibility: 'shared', title: 'Doomed' }, alice);
    const deleted = await when('POST', `/v1/diagrams/${body.id}/delete`, { headers: { ...alice, 'If-Match': '"0"' } }).then(t, { status: 200, body: { revision: 1 } });
    const wait = after(deleted.body.position);
    await when('GET', `/v1/diagrams/${body.id}`, { headers: { ...bob, ...wait } }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: DOT_2 }, headers: bob }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    await when('GET', `/v1/diagrams/${body.id}`, { headers: { ...alice, ...wait } }).then(t, { status: 200, body: { deleted: true } });
    for (const [path, json] of [['versions', { source: DOT_2 }], ['restore', { version: 1 }], ['rename', { title: 'Saved' }], ['delete', undefined]] as const) {
      await when('POST', `/v1/diagrams/${body.id}/${path}`, { json, headers: { ...alice, 'If-Match': '"1"' } }).then(t, { status: 409, code: 'DIAGRAM.DELETED' });
    }
    t.deepEqual((await call('GET', '/v1/diagrams?q=doomed', { headers: { ...alice, ...wait } })).body.items, []);
    const listedDeleted = await call('GET', '/v1/diagrams?q=doomed&deleted=true', { headers: { ...alice, ...wait } });
    t.deepEqual(listedDeleted.body.items.map((item: { id: string; deleted: boolean }) => [item.id, item.deleted]), [[body.id, true]]);
    t.deepEqual((await call('GET', '/v1/diagrams?q=doomed&deleted=true', { headers: { ...bob, ...wait } })).body.items, []);
    const back = await when('POST', `/v1/diagrams/${body.id}/undelete`, { headers: alice }).then(t, { status: 200, body: { revision: 2 } });
    await when('POST', `/v1/diagrams/${body.id}/undelete`, { headers: alice }).then(t, { status: 200, body: { revision: 2 } });
    await when('GET', `/v1/diagrams/${body.id}`, { headers: { ...bob, ...after(back.body.position) } }).then(t, { status: 200, body: { deleted: false } });
  });

  it('the list: own and shared diagrams, by owner and format, searched by title and source, a page at a time', async (t) => {
    const carol = await as('carol-list');
    const dave = await as('dave-list');
    const a = await create({ title: 'Zebra crossing', visibility: 'shared' }, carol);
    const b = await create({ title: 'Zebra stripes', format: 'mermaid', source: 'sequenceDiagram\n  Alice->>Bob: hello zebra' }, carol);
    const c = await create({ title: 'Zebra herd', visibility: 'shared', source: 'digraph { okapi -> giraffe }' }, dave);
    const wait = after(c.body.position);
    const ids = (reply: Reply) => reply.body.items.map((item: { id: string }) => item.id);
    t.deepEqual(ids(await call('GET', '/v1/diagrams?q=zebra', { headers: { ...carol, ...wait } })), [c.body.id, b.body.id, a.body.id]);
    t.deepEqual(ids(await call('GET', '/v1/diagrams?q=zebra', { headers: { ...dave, ...wait } })), [c.body.id, a.body.id], 'not carol\'s private one');
    t.deepEqual(ids(await call('GET', '/v1/diagrams?q=zebra&owner=carol-list', { headers: { ...dave, ...wait } })), [a.body.id]);
    t.deepEqual(ids(await call('GET', '/v1/diagrams?q=zebra&format=mermaid', { headers: { ...carol, ...wait } })), [b.body.id]);
    t.deepEqual(ids(await call('GET', '/v1/diagrams?q=okapi', { headers: { ...carol, ...wait } })), [c.body.id], 'the source is searched');
    const first = await call('GET', '/v1/diagrams?q=zebra&limit=2', { headers: { ...carol, ...wait } });
    t.deepEqual(ids(first), [c.body.id, b.body.id]);
    const second = await call('GET', `/v1/diagrams?q=zebra&limit=2&cursor=${first.body.nextCursor}`, { headers: carol });
    t.deepEqual(ids(second), [a.body.id]);
    t.is(second.body.nextCursor, null);
  });

  it('export: a DOT diagram as SVG, cached by its source (miss, then hit), sandboxed; an older version; Mermaid is 501', async (t) => {
    const { body } = await create({ source: 'digraph export {\n  a -> b [URL="javascript:alert(1)"];\n}' });
    const second = await addVersion(body.id, DOT_2, 0);
    const wait = after(second.body.position);
    const first = await when('GET', `/v1/diagrams/${body.id}/export?format=svg`, { headers: wait }).then(t, {
      status: 200,
      headers: { 'content-type': /^image\/svg\+xml/, 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox" },
    });
    t.regex(first.body, /<svg[\s\S]*invoice[\s\S]*<\/svg>/);
    t.true(['hit', 'miss'].includes(first.headers.get('x-chorus-cache') ?? ''), 'another test may have rendered the same source');
    await when('GET', `/v1/diagrams/${body.id}/export?format=svg`).then(t, { status: 200, headers: { 'x-chorus-cache': 'hit' } });
    const older = await when('GET', `/v1/diagrams/${body.id}/export?format=svg&version=1`).then(t, { status: 200, headers: { 'x-chorus-cache': 'miss' } });
    t.regex(older.body, /<svg[\s\S]*export[\s\S]*<\/svg>/);
    t.notRegex(older.body, /invoice/);
    await when('GET', `/v1/diagrams/${body.id}/export?format=svg&version=1`).then(t, { status: 200, headers: { 'x-chorus-cache': 'hit' } });
    await when('GET', `/v1/diagrams/${body.id}/export?format=svg&version=3`).then(t, { status: 404, code: 'DIAGRAM.VERSION_NOT_FOUND' });
    for (const query of ['format=png', '', 'format=svg&version=0', 'format=svg&version=x']) await when('GET', `/v1/diagrams/${body.id}/export?${query}`).then(t, { status: 400 });
    await when('GET', `/v1/diagrams/${body.id}/export?format=svg`, { headers: await as('stranger-export') }).then(t, { status: 404, code: 'DIAGRAM.NOT_FOUND' });
    const mermaid = await create({ format: 'mermaid', source: MERMAID });
    await when('GET', `/v1/diagrams/${mermaid.body.id}/export?format=svg`, { headers: after(mermaid.body.position) }).then(t, { status: 501, code: 'DIAGRAM.EXPORT_UNSUPPORTED' });
  });

  it('a Mermaid source without a diagram type line is a 400 naming its line', async (t) => {
    const reply = await when('POST', '/v1/diagrams', { json: { title: 'Not mermaid', format: 'mermaid', source: '\n  A --> B' } }).then(t, { status: 400, code: 'DIAGRAM.INVALID_SOURCE' });
    t.is(reply.body.errors[0].path, 'body.source');
    t.is(typeof reply.body.errors[0].message, 'string');
    t.true(reply.body.errors[0].line === null || reply.body.errors[0].line === 2);
    const { body } = await create({ format: 'mermaid', source: MERMAID });
    await when('POST', `/v1/diagrams/${body.id}/versions`, { json: { source: 'digraph { a -> b }' }, headers: { 'If-Match': '"0"' } }).then(t, { status: 400, code: 'DIAGRAM.INVALID_SOURCE' });
  });

  it('generate: the AI chain writes the first version; DiagramGenerated records the prompt, provider and model', async (t) => {
    const prompt = 'The API writes events to the event store. The relay reads the event store and publishes to Kafka.';
    for (const format of ['dot', 'mermaid'] as const) {
      const reply = await when('POST', '/v1/diagrams/generate', { json: { prompt, format, visibility: 'shared' } }).then(t, { status: 201, body: { version: 1, revision: 0, provider: 'local' } });
      t.is(reply.headers.get('location'), `/v1/diagrams/${reply.body.id}`);
      const read = await when('GET', `/v1/diagrams/${reply.body.id}`, { headers: after(reply.body.position) }).then(t, { status: 200, body: { format, visibility: 'shared', latestVersion: 1, title: reply.body.title } });
      t.deepEqual(read.body.generated, { prompt, provider: 'local', model: reply.body.model });
      t.regex(read.body.source, format === 'dot' ? /digraph/ : /^flowchart|^graph/m);
      const events = await collect(chorus().system.store.readStream(`diagram-${reply.body.id}`));
      t.deepEqual(events.map((event) => event.type), ['DiagramGenerated']);
      t.like(events[0]!.data, { prompt, provider: 'local', model: reply.body.model, format });
    }
    for (const json of [{ prompt: '', format: 'dot' }, { prompt: 'x'.repeat(4001), format: 'dot' }, { prompt: 'p', format: 'svg' }, { prompt: 'p' }]) {
      await when('POST', '/v1/diagrams/generate', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
    await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'dot' }, as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
  });

  it('live: watchers hear of new versions as Server-Sent Events, with the log position as the id', async (t) => {
    const { body } = await create({ visibility: 'shared' });
    const reader: SseReader = await openSse(`${chorus().url}/v1/diagrams/${body.id}/live`, { ...(await as('watcher', ['viewer'])), ...after(body.position) });
    t.teardown(() => reader.close());
    t.is(reader.status, 200);
    t.regex(reader.headers.get('content-type') ?? '', /^text\/event-stream/);
    const next = async (): Promise<SseFrame & { frame: { latestVersion: number; diagramId: string } }> => {
      for (;;) {
        const frame = await reader.next(10_000);
        if (frame === null) throw new Error('the stream ended');
        if (frame.event === 'diagram') return { ...frame, frame: JSON.parse(frame.data!) };
      }
    };
    const first = await next();
    t.like(first.frame, { diagramId: body.id, latestVersion: 1 });
    t.is(first.id, body.position);
    const added = await addVersion(body.id, DOT_2, 0);
    const update = await next();
    t.like(update.frame, { diagramId: body.id, latestVersion: 2, revision: 1 });
    t.is(update.id, added.body.position);
  });

  it('live: a watcher back with the current Last-Event-ID gets heartbeats until the next version, not the frame it saw', async (t) => {
    const { body } = await create({ visibility: 'shared' });
    const second = await addVersion(body.id, DOT_2, 0);
    const reader = await openSse(`${chorus().url}/v1/diagrams/${body.id}/live`, { ...(await as('watcher-again', ['viewer'])), ...after(second.body.position), 'Last-Event-ID': second.body.position });
    t.teardown(() => reader.close());
    t.is(reader.status, 200);
    const seen: SseFrame[] = [];
    for (;;) {
      const frame = await reader.next();
      if (frame === null) throw new Error('the stream ended');
      if (frame.comment === 'heartbeat') break;
      seen.push(frame);
    }
    t.deepEqual(seen.filter((frame) => frame.event === 'diagram'), [], 'no frame before the first heartbeat');
    const third = await addVersion(body.id, DOT, 1);
    for (;;) {
      const frame = await reader.next();
      if (frame === null) throw new Error('the stream ended');
      if (frame.event !== 'diagram') continue;
      t.is(frame.id, third.body.position);
      t.like(JSON.parse(frame.data!), { latestVersion: 3 });
      break;
    }
  });
}
