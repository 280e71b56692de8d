// Reads of the identity read models on embedded PGlite: rows put there by the projections themselves, then
// filtered, ordered newest first and paged by cursor; a cursor the API did not issue is a 400, never a 500.
// The credentials table and the migration's way down are checked here too, on the same tables.
import test from 'ava';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { apiKeyStreamId, type ApiKeyCreated, type ApiKeyRevoked } from '../../domain/identity/api-key-events.js';
import type { AuditEntry, AuditRecorded } from '../../domain/identity/audit-events.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { openPglite, type SqlDatabase } from '../../infrastructure/db/database.js';
import { createMigrator, migrate } from '../../infrastructure/db/migrations.js';
import { CredentialsTable } from '../../infrastructure/identity/credentials-table.js';
import { apiKeysProjection } from '../../projections/identity/api-keys-projection.js';
import { auditProjection } from '../../projections/identity/audit-projection.js';
import { identityMigrations } from '../../projections/identity/identity-schema.js';
import { listApiKeys, listAudit, type ApiKeyView, type AuditView } from '../../projections/identity/identity-queries.js';
import type { Projection } from '../../projections/projection.js';
import { recordedEventLog } from '../support/projection-specification.js';

let database: SqlDatabase;

test.before(async () => {
  database = await openPglite(undefined);
  await migrate(database.db, 'up', [identityMigrations]);
});
test.after.always(() => database?.close());
test.beforeEach(async () => {
  await sql`truncate audit_entries, api_keys, user_credentials`.execute(database.db);
});

const project = (projection: Projection, events: readonly RecordedEvent[]): Promise<void> =>
  database.db.transaction().execute((tx) => projection.apply(tx, events));

/** Every page of a listing, followed cursor by cursor. */
async function allPages<T>(list: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 50) throw new Error('the cursor never ran out');
  } while (cursor !== undefined);
  return pages;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const uuid = (last: string): string => `0190f7a2-0000-7000-8000-${last.padStart(12, '0')}`;

// ---- audit ----------------------------------------------------------------------------------------------------

/**
 * Seven entries, named by their reason. Two pairs share a timestamp; the event id breaks the tie, newest first:
 * e5 is recorded after e6 but has the greater id, so it lists first.
 */
async function seedAudit(): Promise<void> {
  const log = recordedEventLog();
  const stream = `audit-${uuidv7()}`;
  const entry = (id: string, data: Partial<AuditEntry>): RecordedEvent => {
    const event = log.record(stream, {
      type: 'AuditRecorded',
      data: {
        type: 'auth.forbidden',
        actor: { sub: 'alice', roles: ['viewer'] },
        method: 'GET',
        route: '/v1/ops/projections',
        ip: '203.0.113.7',
        correlationId: `corr-${id}`,
        reason: id,
        subject: null,
        count: 1,
        occurredAt: '2026-11-20T09:00:00.000Z',
        ...data,
      },
    } satisfies AuditRecorded);
    return { ...event, eventId: uuid(`${id === 'e5' ? 'a5' : id.slice(1)}`) };
  };
  await project(auditProjection, [
    entry('e1', {}),
    entry('e2', { type: 'auth.login_failed', actor: { sub: 'anonymous' }, occurredAt: '2026-11-20T09:00:01.000Z' }),
    entry('e3', { actor: { sub: 'bob', roles: ['member'] }, occurredAt: '2026-11-20T09:00:01.000Z' }),
    entry('e4', { type: 'user.roles_changed', actor: { sub: 'alice', roles: ['admin'] }, subject: 'user:bob', occurredAt: '2026-11-20T09:00:02.000Z' }),
    entry('e6', {
      type: 'apikey.created',
      actor: { sub: 'bob', roles: ['member'], apiKeyId: uuid('beef') },
      method: 'POST',
      route: '/v1/api-keys',
      subject: `apikey:${uuid('cafe')}`,
      occurredAt: '2026-11-20T09:00:03.000Z',
    }),
    entry('e5', { occurredAt: '2026-11-20T09:00:03.000Z' }),
    entry('e7', { count: 40, occurredAt: '2026-11-20T09:00:04.000Z' }),
  ]);
}

const reasons = (items: readonly AuditView[]): string[] => items.map((item) => item.reason);

test.serial('the audit trail lists newest first, a shared timestamp ordered by event id, each entry whole', async (t) => {
  await seedAudit();
  const { items, nextCursor } = await listAudit(database.db, { limit: 50 });
  t.deepEqual(reasons(items), ['e7', 'e5', 'e6', 'e4', 'e3', 'e2', 'e1']);
  t.is(nextCursor, null);
  t.deepEqual(
    items.find((item) => item.reason === 'e6'),
    {
      id: uuid('6'),
      type: 'apikey.created',
      actor: { sub: 'bob', roles: ['member'], apiKeyId: uuid('beef') },
      method: 'POST',
      route: '/v1/api-keys',
      ip: '203.0.113.7',
      correlationId: 'corr-e6',
      reason: 'e6',
      subject: `apikey:${uuid('cafe')}`,
      count: 1,
      occurredAt: '2026-11-20T09:00:03.000Z',
    },
  );
});

test.serial('the audit trail filters by type, by actor, and by time, since inclusive and until exclusive', async (t) => {
  await seedAudit();
  const list = async (filter: Omit<Parameters<typeof listAudit>[1], 'limit'>) => reasons((await listAudit(database.db, { ...filter, limit: 50 })).items);
  t.deepEqual(await list({ type: 'auth.forbidden' }), ['e7', 'e5', 'e3', 'e1']);
  t.deepEqual(await list({ type: 'auth.login_failed' }), ['e2']);
  t.deepEqual(await list({ type: 'no.such_type' }), []);
  t.deepEqual(await list({ actor: 'alice' }), ['e7', 'e5', 'e4', 'e1']);
  t.deepEqual(await list({ actor: 'bob' }), ['e6', 'e3']);
  t.deepEqual(await list({ since: new Date('2026-11-20T09:00:01.000Z'), until: new Date('2026-11-20T09:00:03.000Z') }), ['e4', 'e3', 'e2']);
  t.deepEqual(await list({ since: new Date('2026-11-20T09:00:03.000Z') }), ['e7', 'e5', 'e6']);
  t.deepEqual(await list({ until: new Date('2026-11-20T09:00:01.000Z') }), ['e1']);
  t.deepEqual(await list({ type: 'auth.forbidden', actor: 'alice', since: new Date('2026-11-20T09:00:00.001Z') }), ['e7', 'e5']);
});

test.serial('the audit trail pages by cursor with no entry twice and none left out, whatever the page size', async (t) => {
  await seedAudit();
  const pages = await allPages((cursor) => listAudit(database.db, { limit: 2, ...(cursor === undefined ? {} : { cursor }) }));
  t.deepEqual(pages.map(reasons), [['e7', 'e5'], ['e6', 'e4'], ['e3', 'e2'], ['e1']]);
  for (const limit of [1, 3, 6, 7, 8]) {
    const paged = await allPages((cursor) => listAudit(database.db, { limit, ...(cursor === undefined ? {} : { cursor }) }));
    t.deepEqual(paged.flat().map((item) => item.reason), ['e7', 'e5', 'e6', 'e4', 'e3', 'e2', 'e1'], `limit ${limit}`);
    t.true(paged.every((page) => page.length > 0 && page.length <= limit), `limit ${limit}: no empty or oversized page`);
  }
  const filtered = await allPages((cursor) => listAudit(database.db, { type: 'auth.forbidden', limit: 3, ...(cursor === undefined ? {} : { cursor }) }));
  t.deepEqual(filtered.map(reasons), [['e7', 'e5', 'e3'], ['e1']]);
});

// ---- API keys -------------------------------------------------------------------------------------------------

const KEY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Five keys: k3 and k4 created at the same instant, k3 revoked. */
async function seedApiKeys(): Promise<void> {
  const log = recordedEventLog();
  const created = (id: string, ownerId: string, createdAt: string) =>
    log.record(apiKeyStreamId(uuid(id)), {
      type: 'ApiKeyCreated',
      data: { apiKeyId: uuid(id), ownerId, name: `key ${id}`, roles: ['viewer'], keyHash: `${KEY_HASH}-${id}`, createdAt },
    } satisfies ApiKeyCreated);
  await project(apiKeysProjection, [
    created('1', 'alice', '2026-11-20T10:00:00.000Z'),
    created('2', 'bob', '2026-11-20T10:01:00.000Z'),
    created('3', 'alice', '2026-11-20T10:02:00.000Z'),
    created('4', 'alice', '2026-11-20T10:02:00.000Z'),
  ]);
  await project(apiKeysProjection, [
    log.record(apiKeyStreamId(uuid('3')), {
      type: 'ApiKeyRevoked',
      data: { apiKeyId: uuid('3'), revokedBy: 'admin-1', revokedAt: '2026-11-20T11:00:00.000Z' },
    } satisfies ApiKeyRevoked),
    created('5', 'bob', '2026-11-20T10:03:00.000Z'),
  ]);
}

const names = (items: readonly ApiKeyView[]): string[] => items.map((item) => item.name);

test.serial('API keys list newest first, by owner or all, revoked ones marked so', async (t) => {
  await seedApiKeys();
  const all = await listApiKeys(database.db, { limit: 50 });
  t.deepEqual(names(all.items), ['key 5', 'key 4', 'key 3', 'key 2', 'key 1']);
  t.is(all.nextCursor, null);
  t.deepEqual(names((await listApiKeys(database.db, { ownerId: 'alice', limit: 50 })).items), ['key 4', 'key 3', 'key 1']);
  t.deepEqual(names((await listApiKeys(database.db, { ownerId: 'nobody', limit: 50 })).items), []);
  t.deepEqual(all.items.slice(1, 3), [
    { id: uuid('4'), ownerId: 'alice', name: 'key 4', roles: ['viewer'], createdAt: '2026-11-20T10:02:00.000Z', revokedAt: null, status: 'active' },
    {
      id: uuid('3'),
      ownerId: 'alice',
      name: 'key 3',
      roles: ['viewer'],
      createdAt: '2026-11-20T10:02:00.000Z',
      revokedAt: '2026-11-20T11:00:00.000Z',
      status: 'revoked',
    },
  ]);
});

test.serial('API keys page by cursor with no key twice and none left out', async (t) => {
  await seedApiKeys();
  const pages = await allPages((cursor) => listApiKeys(database.db, { limit: 2, ...(cursor === undefined ? {} : { cursor }) }));
  t.deepEqual(pages.map(names), [['key 5', 'key 4'], ['key 3', 'key 2'], ['key 1']]);
  const alice = await allPages((cursor) => listApiKeys(database.db, { ownerId: 'alice', limit: 1, ...(cursor === undefined ? {} : { cursor }) }));
  t.deepEqual(alice.map(names), [['key 4'], ['key 3'], ['key 1']]);
});

test.serial('no key hash lands in the API keys table', async (t) => {
  await seedApiKeys();
  const rows = await sql<{ row: string }>`select api_keys::text as row from api_keys`.execute(database.db);
  t.is(rows.rows.length, 5);
  t.false(rows.rows.some(({ row }) => row.includes(KEY_HASH)));
  const columns = await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = 'api_keys' order by 1`.execute(database.db);
  t.deepEqual(columns.rows.map((c) => c.name), ['created_at', 'id', 'name', 'owner_id', 'revision', 'revoked_at', 'revoked_by', 'roles']);
});

// ---- cursors --------------------------------------------------------------------------------------------------

const at = '2026-11-20T09:00:02.000Z';
const badCursors: [string, string][] = [
  ['garbage', 'not base64 JSON'],
  ['', 'empty'],
  [encode(null), 'null'],
  [encode({ at, id: uuid('1') }), 'an object'],
  [encode([at]), 'one element'],
  [encode([at, uuid('1'), 'extra']), 'three elements'],
  [encode([at, 'not-a-uuid']), 'an id that is no uuid'],
  [encode([at, "' or 1=1 --"]), 'an injected id'],
  [encode([at, uuid('1').toUpperCase()]), 'an upper-case id'],
  [encode([at, 42]), 'a numeric id'],
  [encode([Date.parse(at), uuid('1')]), 'a numeric timestamp'],
  [encode(['2026-02-30T09:00:00.000Z', uuid('1')]), 'a day that does not exist'],
  [encode(['2026-11-20T09:00:02Z', uuid('1')]), 'a timestamp without milliseconds'],
  [encode(['0000-01-01T00:00:00.000Z', uuid('1')]), 'year zero'],
  [encode(['yesterday', uuid('1')]), 'words for a timestamp'],
];

test.serial('a cursor the API did not issue is refused as QUERY.INVALID_CURSOR by both lists', async (t) => {
  await seedAudit();
  await seedApiKeys();
  const issued = (await listAudit(database.db, { limit: 2 })).nextCursor;
  t.not(issued, null);
  const [issuedAt] = JSON.parse(Buffer.from(issued ?? '', 'base64url').toString('utf8')) as [string, string];
  const tampered = encode([issuedAt, `${uuid('1')}'; drop table audit_entries; --`]);
  for (const [cursor, label] of [...badCursors, [tampered, 'a tampered issued cursor'] as [string, string]]) {
    for (const list of [() => listAudit(database.db, { limit: 2, cursor }), () => listApiKeys(database.db, { limit: 2, cursor })]) {
      const error = await t.throwsAsync(list(), { instanceOf: ValidationError }, label);
      t.is(error?.code, 'QUERY.INVALID_CURSOR', label);
      t.deepEqual(error?.errors, [{ path: 'query.cursor', message: 'Invalid cursor' }], label);
    }
  }
  t.is((await listAudit(database.db, { limit: 50 })).items.length, 7, 'the trail is whole after all that');
});

// ---- credentials ----------------------------------------------------------------------------------------------

test.serial('the credentials table keeps one hash per user, replaced by a later save', async (t) => {
  const credentials = new CredentialsTable(database.db);
  const [ann, ben] = [uuidv7(), uuidv7()];
  t.is(await credentials.passwordHashOf(ann), null);
  await credentials.save(ann, 'hash-1');
  await credentials.save(ben, 'hash-b');
  t.is(await credentials.passwordHashOf(ann), 'hash-1');
  await credentials.save(ann, 'hash-2');
  t.is(await credentials.passwordHashOf(ann), 'hash-2');
  t.is(await credentials.passwordHashOf(ben), 'hash-b');
  t.is(await credentials.passwordHashOf('not-a-uuid'), null);
  const rows = await database.db.selectFrom('user_credentials').select(['user_id', 'password_hash']).orderBy('user_id').execute();
  t.deepEqual(rows, [
    { user_id: ann, password_hash: 'hash-2' },
    { user_id: ben, password_hash: 'hash-b' },
  ]);
});

// ---- migration ------------------------------------------------------------------------------------------------

test('the identity migration comes down, taking its three tables', async (t) => {
  const fresh = await openPglite(undefined);
  try {
    const tables = async () =>
      (await sql<{ name: string }>`select tablename as name from pg_tables where tablename in ('user_credentials', 'api_keys', 'audit_entries') order by 1`.execute(fresh.db)).rows.map((r) => r.name);
    await migrate(fresh.db, 'up', [identityMigrations]);
    t.deepEqual(await tables(), ['api_keys', 'audit_entries', 'user_credentials']);
    // Down to the migration before it: later ones (of the core) come down first.
    const { results } = await createMigrator(fresh.db, [identityMigrations]).migrateTo('0011_streams_room_for_updates');
    t.true(results?.some((r) => r.migrationName === '0012_identity' && r.direction === 'Down' && r.status === 'Success'));
    t.deepEqual(await tables(), []);
  } finally {
    await fresh.close();
  }
});
