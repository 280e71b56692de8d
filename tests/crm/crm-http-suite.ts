// The CRM API end to end: a real server on an ephemeral port, a real HTTP client. Serial, so stats are exact.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { collect } from '../support/events.js';
import { HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

const PASSWORD = 'correct horse battery staple';

export function crmHttpSuite(profile: Profile): void {
  const http = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_POLL_INTERVAL_MS: '100' },
    as: ['agent'],
  });
  const { call, when } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  const after = (position: string | null): Record<string, string> => (position === null ? {} : { 'X-Chorus-Min-Position': position });
  const create = async (json: Record<string, unknown> = { name: 'Ada Lovelace' }): Promise<Reply> => {
    const reply = await call('POST', '/v1/leads', { json });
    if (reply.status !== 201) throw new Error(`create: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  };
  const read = (id: string, position: string | null) => call('GET', `/v1/leads/${id}`, { headers: after(position) });
  const list = async (query: string, position: string | null): Promise<{ items: { id: string }[]; nextCursor: string | null }> => {
    const reply = await call('GET', `/v1/leads?${query}`, { headers: after(position) });
    if (reply.status !== 200) throw new Error(`list ${query}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);
  const move = (id: string, status: string, headers: Record<string, string> = {}) => call('POST', `/v1/leads/${id}/status`, { json: { status }, headers });
  async function userWithRoles(roles: string[]): Promise<string> {
    const registered = await call('POST', '/v1/auth/register', { as: 'anonymous', json: { email: `${randomUUID()}@example.com`, password: PASSWORD, displayName: 'Agent' } });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
    const changed = await call('POST', `/v1/users/${registered.body.id}/roles`, { as: ['admin'], json: { roles } });
    if (changed.status !== 200) throw new Error(`roles: ${changed.status} ${JSON.stringify(changed.body)}`);
    return registered.body.id;
  }
  const unknown = '01a2041a-9df6-7589-a81b-b54b1095756f';

  it('an empty pipeline has zero counts and no conversion rate', async (t) => {
    await when('GET', '/v1/leads/stats', { as: ['viewer'] }).then(t, {
      status: 200,
      body: { total: { count: 0, value: 0 }, byStatus: { new: { count: 0, value: 0 }, won: { count: 0, value: 0 } }, byOwner: [], conversionRate: null },
    });
  });

  it('POST /v1/leads creates: 201, Location, ETag, position; the lead reads back normalised', async (t) => {
    const reply = await when('POST', '/v1/leads', {
      json: { name: '  Ada Lovelace ', email: ' Ada@Example.COM ', phone: '+44 (20) 7946-0958', company: 'Analytical Engines', source: 'referral', value: 12500.5 },
    }).then(t, { status: 201, headers: { etag: '"0"' } });
    t.regex(reply.body.id, /^[0-9a-f-]{36}$/);
    t.is(reply.headers.get('location'), `/v1/leads/${reply.body.id}`);
    t.is(reply.headers.get('x-chorus-position'), reply.body.position);
    const lead = await read(reply.body.id, reply.body.position);
    t.is(lead.status, 200);
    t.like(lead.body, {
      id: reply.body.id,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+44 (20) 7946-0958',
      company: 'Analytical Engines',
      source: 'referral',
      value: 12500.5,
      status: 'new',
      ownerId: null,
      archived: false,
      activityCount: 0,
      summary: null,
      latestActivities: [],
      revision: 0,
      createdBy: 'as:agent',
    });
    t.is(lead.headers.get('etag'), '"0"');
    await when('GET', `/v1/leads/${reply.body.id}`, { headers: { 'If-None-Match': '"0"' } }).then(t, { status: 304 });
  });

  it('invalid bodies answer 400 with the fields at fault, never a 500', async (t) => {
    const cases: [unknown, string[]][] = [
      [{ name: '' }, ['body.name']],
      [{ name: 'A', email: 'not-an-email' }, ['body.email']],
      [{ name: 'A', phone: 'call me maybe' }, ['body.phone']],
      [{ name: 'A', phone: '12345' }, ['body.phone']],
      [{ name: 'A', value: -1 }, ['body.value']],
      [{ name: 'A', value: 10.001 }, ['body.value']],
      [{ name: 'A', value: '100' }, ['body.value']],
      [{ name: 'A', value: 1e20 }, ['body.value']],
      [{ name: 'A', owner: 'x' }, ['body']],
      [{ name: 'x'.repeat(201) }, ['body.name']],
      [[], ['body']],
    ];
    for (const [json, paths] of cases) {
      const reply = await when('POST', '/v1/leads', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
      t.deepEqual(reply.body.errors.map((e: { path: string }) => e.path), paths, JSON.stringify(json));
    }
    await when('POST', '/v1/leads', { raw: '{"name":', headers: { 'content-type': 'application/json' } }).then(t, { status: 400 });
    const { body } = await create();
    for (const json of [{}, { name: null }, { value: -5 }, { email: 'x@' }]) await when('PATCH', `/v1/leads/${body.id}`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    for (const json of [{ status: 'closed' }, {}, { status: 'won', reason: '' }]) await when('POST', `/v1/leads/${body.id}/status`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/leads/${body.id}/assign`, { json: { agentId: 'bob' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    for (const json of [{ kind: 'sms', text: 'hi' }, { kind: 'call', text: ' ' }, { kind: 'call', text: 'hi', occurredAt: 'yesterday' }, { kind: 'call', text: 'x'.repeat(5001) }]) {
      await when('POST', `/v1/leads/${body.id}/activities`, { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
    for (const query of ['status=open', 'limit=0', 'limit=101', 'owner=bob', 'archived=yes', 'cursor=garbage', 'unknown=1']) {
      await when('GET', `/v1/leads?${query}`).then(t, { status: 400 });
    }
    // Once the lead is read (through Kafka it may not be yet), the forged cursor is what is refused.
    await when('GET', `/v1/leads/${body.id}/activities?cursor=WyJ4IiwieSJd`, { headers: after(body.position) }).then(t, {
      status: 400,
      code: 'QUERY.INVALID_CURSOR',
    });
  });

  it('viewers read but cannot write; anonymous callers are 401; members are 403', async (t) => {
    const { body } = await create();
    for (const [method, path] of [['GET', '/v1/leads'], ['GET', `/v1/leads/${body.id}`], ['GET', `/v1/leads/${body.id}/activities`], ['GET', '/v1/leads/stats']] as const) {
      await when(method, path, { as: ['viewer'], headers: after(body.position) }).then(t, { status: 200 });
      await when(method, path, { as: ['operator'], headers: after(body.position) }).then(t, { status: 200 });
      await when(method, path, { as: ['member'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
      await when(method, path, { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
    }
    const writes: [string, string, unknown][] = [
      ['POST', '/v1/leads', { name: 'V' }],
      ['PATCH', `/v1/leads/${body.id}`, { name: 'V' }],
      ['POST', `/v1/leads/${body.id}/status`, { status: 'contacted' }],
      ['POST', `/v1/leads/${body.id}/assign`, { agentId: unknown }],
      ['POST', `/v1/leads/${body.id}/archive`, undefined],
      ['POST', `/v1/leads/${body.id}/unarchive`, undefined],
      ['POST', `/v1/leads/${body.id}/activities`, { kind: 'note', text: 'v' }],
    ];
    for (const [method, path, json] of writes) {
      await when(method, path, { as: ['viewer'], json }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
      await when(method, path, { as: 'anonymous', json }).then(t, { status: 401 });
    }
    await when('POST', '/v1/leads', { as: ['operator'], json: { name: 'By an operator' } }).then(t, { status: 201 });
    await when('POST', '/v1/leads', { as: ['admin'], json: { name: 'By an admin' } }).then(t, { status: 201 });
    const events = await collect(http.chorus().system.store.readStream(`lead-${body.id}`));
    t.deepEqual(events.map((e) => e.type), ['LeadCreated'], 'refused writes appended nothing');
  });

  it('PATCH with a matching If-Match edits (null clears a field); a stale one is 412; a bad one 400', async (t) => {
    const created = await create({ name: 'Grace Hopper', company: 'Navy', value: 10 });
    const edited = await when('PATCH', `/v1/leads/${created.body.id}`, { json: { company: null, value: 99.99, email: 'grace@cobol.org' }, headers: { 'If-Match': '"0"' } }).then(t, {
      status: 200,
      headers: { etag: '"1"' },
      body: { id: created.body.id, revision: 1 },
    });
    t.like((await read(created.body.id, edited.body.position)).body, { name: 'Grace Hopper', company: null, value: 99.99, email: 'grace@cobol.org', revision: 1 });
    await when('PATCH', `/v1/leads/${created.body.id}`, { json: { name: 'Stale' }, headers: { 'If-Match': '"0"' } }).then(t, { status: 412, code: 'STREAM.WRONG_EXPECTED_REVISION' });
    await when('PATCH', `/v1/leads/${created.body.id}`, { json: { name: 'Bad' }, headers: { 'If-Match': 'W/"x"' } }).then(t, { status: 400, code: 'REQUEST.INVALID_IF_MATCH' });
    await when('PATCH', `/v1/leads/${created.body.id}`, { json: { name: 'Grace Hopper' } }).then(t, { status: 200, body: { revision: 1 } });
    await when('PATCH', `/v1/leads/${unknown}`, { json: { name: 'Nobody' } }).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
  });

  it('status moves along the pipeline; won is final (409 LEAD.ILLEGAL_TRANSITION); lost reopens to new', async (t) => {
    const { body } = await create();
    await when('POST', `/v1/leads/${body.id}/status`, { json: { status: 'won' } }).then(t, { status: 409, code: 'LEAD.ILLEGAL_TRANSITION' });
    for (const status of ['contacted', 'qualified', 'won']) await when('POST', `/v1/leads/${body.id}/status`, { json: { status, reason: `to ${status}` } }).then(t, { status: 200 });
    for (const status of ['lost', 'new', 'qualified']) await when('POST', `/v1/leads/${body.id}/status`, { json: { status } }).then(t, { status: 409, code: 'LEAD.ILLEGAL_TRANSITION' });
    const same = await when('POST', `/v1/leads/${body.id}/status`, { json: { status: 'won' } }).then(t, { status: 200, body: { revision: 3 } });
    t.like((await read(body.id, same.body.position)).body, { status: 'won', statusReason: 'to won' });

    const other = await create();
    await when('POST', `/v1/leads/${other.body.id}/status`, { json: { status: 'lost', reason: 'No budget' } }).then(t, { status: 200 });
    await when('POST', `/v1/leads/${other.body.id}/status`, { json: { status: 'contacted' } }).then(t, { status: 409, code: 'LEAD.ILLEGAL_TRANSITION' });
    const reopened = await when('POST', `/v1/leads/${other.body.id}/status`, { json: { status: 'new' }, headers: { 'If-Match': '"1"' } }).then(t, { status: 200, headers: { etag: '"2"' } });
    t.like((await read(other.body.id, reopened.body.position)).body, { status: 'new' });
    await when('POST', `/v1/leads/${other.body.id}/status`, { json: { status: 'contacted' }, headers: { 'If-Match': '"1"' } }).then(t, { status: 412 });
    await when('POST', `/v1/leads/${unknown}/status`, { json: { status: 'contacted' } }).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
  });

  it('a lead is assigned to an agent; an unknown user or one who is no agent is refused; ?owner= filters', async (t) => {
    const agentId = await userWithRoles(['agent']);
    const memberId = await userWithRoles(['member']);
    const { body } = await create({ name: 'Owned' });
    const unowned = await create({ name: 'Unowned' });
    const assigned = await when('POST', `/v1/leads/${body.id}/assign`, { json: { agentId: agentId.toUpperCase() } }).then(t, { status: 200, body: { revision: 1 } });
    t.like((await read(body.id, assigned.body.position)).body, { ownerId: agentId });
    await when('POST', `/v1/leads/${body.id}/assign`, { json: { agentId } }).then(t, { status: 200, body: { revision: 1 } });
    await when('POST', `/v1/leads/${body.id}/assign`, { json: { agentId: unknown } }).then(t, { status: 400, code: 'LEAD.UNKNOWN_AGENT' });
    await when('POST', `/v1/leads/${body.id}/assign`, { json: { agentId: memberId } }).then(t, { status: 400, code: 'LEAD.UNKNOWN_AGENT' });
    await when('POST', `/v1/leads/${unknown}/assign`, { json: { agentId } }).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    await when('POST', `/v1/leads/${unknown}/assign`, { json: { agentId: unknown } }).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    t.deepEqual(ids(await list(`owner=${agentId}`, assigned.body.position)), [body.id]);
    const none = ids(await list('owner=none&limit=100', unowned.body.position));
    t.true(none.includes(unowned.body.id));
    t.false(none.includes(body.id));
  });

  it('an archived lead leaves the default list, shows with ?archived=true, takes no change until unarchived', async (t) => {
    const { body } = await create({ name: 'Archivable' });
    const archived = await when('POST', `/v1/leads/${body.id}/archive`, { headers: { 'If-Match': '"0"' } }).then(t, { status: 200, body: { revision: 1 } });
    t.false(ids(await list('limit=100', archived.body.position)).includes(body.id));
    t.true(ids(await list('archived=true&limit=100', archived.body.position)).includes(body.id));
    t.like((await read(body.id, archived.body.position)).body, { archived: true });
    await when('POST', `/v1/leads/${body.id}/status`, { json: { status: 'contacted' } }).then(t, { status: 409, code: 'LEAD.ARCHIVED' });
    await when('POST', `/v1/leads/${body.id}/activities`, { json: { kind: 'note', text: 'x' } }).then(t, { status: 409, code: 'LEAD.ARCHIVED' });
    await when('POST', `/v1/leads/${body.id}/archive`).then(t, { status: 200, body: { revision: 1 } });
    const back = await when('POST', `/v1/leads/${body.id}/unarchive`).then(t, { status: 200, body: { revision: 2 } });
    t.true(ids(await list('limit=100', back.body.position)).includes(body.id));
    await when('POST', `/v1/leads/${unknown}/archive`).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
  });

  it('activities are logged (201) and read latest first, a cursor page at a time; the lead shows its latest', async (t) => {
    const { body } = await create({ name: 'Busy' });
    const logged: Reply[] = [];
    for (const [day, kind] of [['01', 'call'], ['03', 'email'], ['02', 'meeting']] as const) {
      logged.push(await when('POST', `/v1/leads/${body.id}/activities`, { json: { kind, text: `${kind} on day ${day}`, occurredAt: `2026-11-${day}T10:00:00+01:00` } }).then(t, { status: 201 }));
    }
    t.like(logged[0]!.body, { leadId: body.id, revision: 1 });
    const position = logged[2]!.body.position;
    const first = await when('GET', `/v1/leads/${body.id}/activities?limit=2`, { headers: after(position) }).then(t, { status: 200 });
    t.deepEqual(first.body.items.map((a: { text: string }) => a.text), ['email on day 03', 'meeting on day 02']);
    t.is(first.body.items[0].occurredAt, '2026-11-03T09:00:00.000Z');
    const second = await when('GET', `/v1/leads/${body.id}/activities?limit=2&cursor=${first.body.nextCursor}`).then(t, { status: 200 });
    t.deepEqual(second.body.items.map((a: { id: string }) => a.id), [logged[0]!.body.id]);
    t.is(second.body.nextCursor, null);
    const lead = (await read(body.id, position)).body;
    t.is(lead.activityCount, 3);
    t.is(lead.lastActivityAt, '2026-11-03T09:00:00.000Z');
    t.deepEqual(lead.latestActivities.map((a: { kind: string }) => a.kind), ['email', 'meeting', 'call']);
    await when('POST', `/v1/leads/${unknown}/activities`, { json: { kind: 'note', text: 'x' } }).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    await when('GET', `/v1/leads/${unknown}/activities`).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    await when('GET', '/v1/leads/not-a-uuid/activities').then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
  });

  it('q searches name, company, email and activity text with PostgreSQL full text; hostile queries are harmless', async (t) => {
    const tag = randomUUID().slice(0, 8).replace(/[0-9]/g, 'x');
    const byName = await create({ name: `Zebulon ${tag}` });
    const byCompany = await create({ name: 'Someone', company: `Quokka${tag} Industries` });
    const byEmail = await create({ name: 'Other', email: `sales@wombat${tag}.io` });
    const byActivity = await create({ name: 'Quiet' });
    const activity = await call('POST', `/v1/leads/${byActivity.body.id}/activities`, { json: { kind: 'call', text: `They asked about platypus${tag} integrations` } });
    const position = activity.body.position;
    t.deepEqual(ids(await list(`q=zebulon`, position)), [byName.body.id]);
    t.deepEqual(ids(await list(`q=${encodeURIComponent(`quokka${tag}`)}`, position)), [byCompany.body.id]);
    t.deepEqual(ids(await list(`q=${encodeURIComponent(`wombat${tag}`)}`, position)), [byEmail.body.id]);
    t.deepEqual(ids(await list(`q=${encodeURIComponent(`platypus${tag} integration`)}`, position)), [byActivity.body.id], 'stemmed: integration finds integrations');
    t.deepEqual(ids(await list(`q=${encodeURIComponent(`platypus${tag} -integration`)}`, position)), []);
    for (const hostile of ["'); drop table crm_leads; --", '!!&&||', '"unclosed', '\\', ':*', 'the']) {
      await when('GET', `/v1/leads?q=${encodeURIComponent(hostile)}`).then(t, { status: 200 });
    }
  });

  it('a burst of activities yields one AI summary, of the lead as of the last of them', async (t) => {
    const { body } = await create({ name: 'Ada Lovelace', company: 'Analytical' });
    const texts = [
      'Intro call. Ada runs a team of 40 engineers and reporting is manual.',
      'Sent the deck. Ada asked about pricing for 40 seats.',
      'Great meeting with Ada and her CFO. They are excited and want a proposal with pricing by Friday.',
    ];
    const logged: Reply[] = [];
    for (const text of texts) logged.push(await call('POST', `/v1/leads/${body.id}/activities`, { json: { kind: 'meeting', text } }));
    let lead: Reply | undefined;
    for (let attempt = 0; attempt < 300; attempt++) {
      lead = await call('GET', `/v1/leads/${body.id}`, { headers: { 'X-Chorus-Consistency': 'strong' } });
      // Until the lead is projected it answers 404, whose body has no summary either: wait on, not only on a null.
      if (lead.status === 200 && lead.body.summary !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.like(lead!.body.summary, { sentiment: 'positive', provider: 'local' });
    t.regex(lead!.body.summary.summary, /^Ada Lovelace \(Analytical\), new: 3 meetings/);
    t.regex(lead!.body.summary.nextAction, /proposal with pricing/);
    const events = await collect(http.chorus().system.store.readStream(`lead-${body.id}`));
    const summaries = events.filter((event) => event.type === 'LeadSummarized');
    t.is(summaries.length, 1, 'one summary for the burst');
    t.is((summaries[0]!.data as { asOfActivityId: string }).asOfActivityId, logged[2]!.body.id);
  });

  it('stats count and value by status and owner, with conversion won / (won + lost), cached until the data changes', async (t) => {
    const before = (await call('GET', '/v1/leads/stats', { headers: { 'X-Chorus-Consistency': 'strong' } })).body;
    const agentId = await userWithRoles(['agent']);
    const won = await create({ name: 'Won', value: 100.5 });
    await call('POST', `/v1/leads/${won.body.id}/assign`, { json: { agentId } });
    for (const status of ['contacted', 'qualified', 'won']) await move(won.body.id, status);
    const lost = await create({ name: 'Lost', value: 50 });
    await move(lost.body.id, 'lost');
    const archived = await create({ name: 'Archived', value: 1000 });
    const last = await call('POST', `/v1/leads/${archived.body.id}/archive`);
    const stats = await when('GET', '/v1/leads/stats', { as: ['viewer'], headers: after(last.body.position) }).then(t, { status: 200, headers: { 'x-chorus-cache': 'miss' } });
    t.is(stats.body.total.count, before.total.count + 2, 'archived leads are not in the pipeline');
    t.is(stats.body.total.value, before.total.value + 150.5);
    t.deepEqual(stats.body.byStatus.won, { count: before.byStatus.won.count + 1, value: before.byStatus.won.value + 100.5 });
    t.deepEqual(stats.body.byStatus.lost, { count: before.byStatus.lost.count + 1, value: before.byStatus.lost.value + 50 });
    const closed = before.byStatus.won.count + before.byStatus.lost.count + 2;
    t.is(stats.body.conversionRate, (before.byStatus.won.count + 1) / closed);
    const owner = stats.body.byOwner.find((entry: { ownerId: string | null }) => entry.ownerId === agentId);
    t.like(owner, { count: 1, value: 100.5, byStatus: { won: { count: 1, value: 100.5 }, new: { count: 0, value: 0 } } });
    await when('GET', '/v1/leads/stats', { headers: after(last.body.position) }).then(t, { status: 200, headers: { 'x-chorus-cache': 'hit' }, body: { total: stats.body.total } });
    const changed = await create({ name: 'One more' });
    await when('GET', '/v1/leads/stats', { headers: after(changed.body.position) }).then(t, { status: 200, headers: { 'x-chorus-cache': 'miss' }, body: { total: { count: stats.body.total.count + 1 } } });
  });

  it('unknown leads answer 404, whether the id is unknown or not an id at all', async (t) => {
    await when('GET', `/v1/leads/${unknown}`).then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    await when('GET', '/v1/leads/nope').then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
    await when('POST', '/v1/leads/nope/archive').then(t, { status: 404, code: 'LEAD.NOT_FOUND' });
  });

  it('a list pages newest first by cursor', async (t) => {
    const made: string[] = [];
    let position: string | null = null;
    for (let n = 0; n < 3; n++) {
      const reply = await create({ name: `Paged ${n}`, source: 'paging' });
      made.unshift(reply.body.id);
      position = reply.body.position;
    }
    const first = await list('q=paged&limit=2', position);
    t.deepEqual(ids(first), made.slice(0, 2));
    const second = await list(`q=paged&limit=2&cursor=${first.nextCursor}`, position);
    t.deepEqual(ids(second), made.slice(2));
    t.is(second.nextCursor, null);
    t.true((await list('status=new&limit=100', position)).items.every((item) => (item as unknown as { status: string }).status === 'new'));
  });

  it('the leads read model rebuilds blue/green from the log and verifies equal to it (search vectors and activities included)', async (t) => {
    const poll = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      for (let attempt = 0; attempt < 600; attempt++) {
        const found = await probe();
        if (found !== undefined) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${what} never finished`);
    };
    const before = await list('q=paged&limit=100', null);
    await when('POST', '/v1/ops/projections/crm-leads/rebuild', { as: ['operator'] }).then(t, { status: 202 });
    const done = await poll('the rebuild', async () => {
      const body = (await call('GET', '/v1/ops/projections/crm-leads', { as: ['operator'] })).body;
      return body.rebuild?.status === 'building' ? undefined : body;
    });
    t.like(done, { rebuild: { status: 'completed' }, generation: 1 });
    const verification = await when('POST', '/v1/ops/projections/crm-leads/verify', { as: ['operator'] }).then(t, { status: 202 });
    const verified = await poll('the verification', async () => {
      const body = (await call('GET', verification.headers.get('location')!, { as: ['operator'] })).body;
      return body.status === 'running' ? undefined : body;
    });
    t.like(verified, { status: 'completed', equal: true, missing: 0, extra: 0, different: 0 });
    t.deepEqual(ids(await list('q=paged&limit=100', null)), ids(before), 'search reads the rebuilt tables alike');
  });
}
