// Prepared statements, on a PostgreSQL server and on embedded PGlite: each connection prepares a statement with
// parameters once, values of every type come back as unprepared statements return them, scripts, long lists and
// a table changed underneath still work, and `preparedStatements: false` prepares nothing.
import test, { type ExecutionContext } from 'ava';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { PgliteDialect } from '../../infrastructure/db/pglite-dialect.js';
import { openPglite, openPostgres, type SqlDatabase } from '../../infrastructure/db/database.js';
import { StatementNames } from '../../infrastructure/db/prepared-statements.js';
import type { Schema } from '../../projections/schema.js';
import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';

test('statements without parameters, or with too many, stay unnamed; each text keeps one name until its plan is refused', async (t) => {
  const names = new StatementNames();
  t.is(names.nameOf('begin', 0), undefined);
  t.is(names.nameOf('select $1', 65), undefined, 'a long list varies in length: not worth a name');
  t.is(names.nameOf(`select /* plan per run */ * from feedback where id = any($1)`, 1), undefined, 'marked to be planned at each run');
  const name = names.nameOf('select $1', 1);
  t.truthy(name);
  t.is(names.nameOf('select $1', 1), name);
  t.not(names.nameOf('select $1 + 1', 1), name);
  const unnamed = async () => 'unnamed';
  t.is(await names.run('begin', 0, async () => 'prepared', unnamed), 'unnamed');
  await t.throwsAsync(
    names.run('select $1', 1, async () => Promise.reject(new Error('some other failure')), unnamed),
    { message: 'some other failure' },
  );
  t.is(names.nameOf('select $1', 1), name, 'any other failure keeps the name');
  await t.throwsAsync(
    names.run('select $1', 1, async () => Promise.reject(new Error('cached plan must not change result type')), unnamed),
  );
  const renamed = names.nameOf('select $1', 1);
  t.truthy(renamed);
  t.not(renamed, name, 'a refused plan is prepared afresh under a new name');
});

test('the names a process hands out are bounded, and texts past the bound are sent unnamed', (t) => {
  const names = new StatementNames();
  const named = Array.from({ length: 1000 }, (_, i) => names.nameOf(`select ${i}, $1`, 1)).filter((name) => name !== undefined);
  t.is(named.length, 256);
  t.is(names.nameOf('select 0, $1', 1), named[0], 'texts named before the bound keep their names');
});

const databaseUrl = serviceUrl('DATABASE_URL', 'prepared statements on a PostgreSQL server');

// The PGlite tests are serial, so they run before the server's: PGlite starting holds the thread for seconds,
// and a server connection being opened meanwhile would time out.

/** A statement with parameters of many types, prepared, and the same text with its values written into it. */
async function bothWays(database: SqlDatabase) {
  const at = new Date('2026-12-02T08:00:00.123Z');
  const values = [[1, 2, 3], ['a', 'b'], { nested: ['x', 1] }, at, true, null, 12345678901234, 'it\'s'] as const;
  const prepared = sql<Record<string, unknown>>`select ${values[0]}::int[] as ints, ${values[1]}::text[] as texts, ${JSON.stringify(values[2])}::jsonb as doc,
      ${values[3]}::timestamptz as at, ${values[4]}::boolean as yes, ${values[5]}::text as nothing, ${values[6]}::bigint as big, ${values[7]}::text as quoted`;
  const literal = sql<Record<string, unknown>>`select ${sql.lit('{1,2,3}')}::int[] as ints, ${sql.lit('{a,b}')}::text[] as texts, ${sql.lit(JSON.stringify(values[2]))}::jsonb as doc,
      ${sql.lit(at.toISOString())}::timestamptz as at, true as yes, null::text as nothing, 12345678901234::bigint as big, ${sql.lit("it's")}::text as quoted`;
  const first = (await prepared.execute(database.db)).rows[0];
  const again = (await prepared.execute(database.db)).rows[0];
  const plain = (await literal.execute(database.db)).rows[0];
  return { first, again, plain };
}

test.serial('PGlite: values of every type come back alike prepared and not, and a statement is prepared once', async (t) => {
  const database = await openPglite(undefined);
  try {
    const { first, again, plain } = await bothWays(database);
    t.deepEqual(first, plain);
    t.deepEqual(again, plain);
    const prepared = await preparedOn(database.db);
    t.is(prepared.filter((statement) => statement.includes('::int[] as ints')).length, 1);
  } finally {
    await database.close();
  }
});

test.serial('PGlite: rows and counts come back as PGlite\'s own query() gives them, prepared, unnamed and in a transaction', async (t) => {
  const pglite = await PGlite.create();
  const db = new Kysely<Schema>({ dialect: new PgliteDialect(pglite) });
  try {
    await pglite.exec(`create table parity (id int primary key, doc jsonb, at timestamptz, amount numeric, big bigint, flags bool[], note text)`);
    const row = sql`(${1}, ${JSON.stringify({ a: [1, 'x'] })}::jsonb, ${new Date('2026-12-03T10:00:00.5Z')}, ${'12.50'}::numeric, ${'9007199254740993'}::bigint, ${[true, false]}::bool[], ${null})`;
    const inserted = await sql`insert into parity values ${row}, (${2}, null, null, null, null, null, ${"it's"})`.execute(db);
    t.is(inserted.numAffectedRows, 2n);
    const select = 'select id, doc, at, amount, big, flags, note, id * 2 as twice, now() is not null as clock from parity order by id';
    const reference = await pglite.query<Record<string, unknown>>(select);
    t.deepEqual((await sql.raw<Record<string, unknown>>(select).execute(db)).rows, reference.rows, 'unnamed, without parameters');
    const expected = (await pglite.query<Record<string, unknown>>('select id, doc, at, amount, big, flags, note from parity where id >= $1 order by id', [1])).rows;
    for (let run = 0; run < 2; run++) {
      const prepared = await sql<Record<string, unknown>>`select id, doc, at, amount, big, flags, note from parity where id >= ${1} order by id`.execute(db);
      t.deepEqual(prepared.rows, expected, `prepared, run ${run + 1}`);
      const unnamed = await sql<Record<string, unknown>>`select /* plan per run */ id, doc, at, amount, big, flags, note from parity where id >= ${1} order by id`.execute(db);
      t.deepEqual(unnamed.rows, expected, `unnamed with a parameter, run ${run + 1}`);
    }
    const counts = await db.transaction().execute(async (tx) => ({
      updated: (await sql`update parity set note = ${'changed'} where id <= ${2}`.execute(tx)).numAffectedRows,
      deleted: (await sql`delete from parity where id = ${2}`.execute(tx)).numAffectedRows,
      none: (await sql`delete from parity where id = ${99}`.execute(tx)).numAffectedRows,
    }));
    t.deepEqual(counts, { updated: 2n, deleted: 1n, none: undefined });
    t.deepEqual((await pglite.query('select id, note from parity')).rows, [{ id: 1, note: 'changed' }], 'the transaction committed');
    await t.throwsAsync(sql`select ${1}::int / ${0}::int`.execute(db), { message: /division by zero/ });
    t.deepEqual((await sql.raw('select 1 as one').execute(db)).rows, [{ one: 1 }], 'a failed statement leaves the connection usable');
  } finally {
    await db.destroy();
  }
});

test.serial('PGlite: a table changed under a prepared select * fails that run once, then reads the new columns', async (t) => {
  const database = await openPglite(undefined);
  try {
    await changedTableFailsOnce(t, database, database);
  } finally {
    await database.close();
  }
});

/** A table altered by `migrator` under a `select *` that `reader` has prepared: one run fails, the next read the new columns. */
async function changedTableFailsOnce(t: ExecutionContext, reader: SqlDatabase, migrator: SqlDatabase): Promise<void> {
  await sql`create table prepared_test (id int primary key, note text)`.execute(migrator.db);
  await sql`insert into prepared_test values (1, 'one')`.execute(migrator.db);
  const read = () => sql<Record<string, unknown>>`select * from prepared_test where id = ${1}`.execute(reader.db);
  t.deepEqual((await read()).rows, [{ id: 1, note: 'one' }]);
  await sql`alter table prepared_test add column added int not null default 7`.execute(migrator.db);
  // PostgreSQL refuses the old plan once; the name is then dropped, so no later run repeats the failure.
  await t.throwsAsync(read(), { message: 'cached plan must not change result type' });
  t.deepEqual((await read()).rows, [{ id: 1, note: 'one', added: 7 }]);
  t.deepEqual((await read()).rows, [{ id: 1, note: 'one', added: 7 }]);
}

/** The statements prepared on the one connection of a pool of one, as its own session sees them. */
async function preparedOn(db: Kysely<Schema>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db);
  return rows.map((row) => row.statement);
}

if (databaseUrl !== undefined) {
  test('PostgreSQL: values of every type come back alike prepared and not', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    try {
      const { first, again, plain } = await bothWays(testDb.database);
      t.deepEqual(first, plain);
      t.deepEqual(again, plain);
    } finally {
      await testDb.drop();
    }
  });

  test('a statement with parameters is prepared once per connection, and a pool without them prepares none', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    const preparing = openPostgres(testDb.url!, { poolMax: 1 });
    const plain = openPostgres(testDb.url!, { poolMax: 1, preparedStatements: false });
    try {
      for (let i = 0; i < 3; i++) {
        const { rows } = await sql<{ sum: number }>`select ${i}::int + ${1}::int as sum`.execute(preparing.db);
        t.is(rows[0]!.sum, i + 1, 'the values of each execution, not the first');
        await sql`select ${i}::int + ${1}::int as sum`.execute(plain.db);
      }
      const prepared = await preparedOn(preparing.db);
      t.is(prepared.filter((statement) => statement.includes('::int + $2::int')).length, 1);
      t.deepEqual(await preparedOn(plain.db), []);
    } finally {
      await preparing.close();
      await plain.close();
      await testDb.drop();
    }
  });

  test('scripts, lists past the bound and transactions work as before', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    const database = openPostgres(testDb.url!, { poolMax: 1 });
    try {
      await sql`create table prepared_test (id int primary key, note text); insert into prepared_test values (1, 'one')`.execute(database.db);
      const ids = Array.from({ length: 100 }, (_, i) => i);
      const { rows } = await sql<{ id: number }>`select id from prepared_test where id in (${sql.join(ids)})`.execute(database.db);
      t.deepEqual(rows, [{ id: 1 }]);
      await t.throwsAsync(
        database.db.transaction().execute(async (trx) => {
          await sql`insert into prepared_test values (${2}, ${'two'})`.execute(trx);
          throw new Error('roll back');
        }),
        { message: 'roll back' },
      );
      const after = await sql<{ n: string }>`select count(*)::text as n from prepared_test where id > ${0}`.execute(database.db);
      t.is(after.rows[0]!.n, '1', 'the rolled-back insert is gone');
      t.false((await preparedOn(database.db)).some((statement) => statement.includes('in (')), 'a list of 100 is not prepared');
    } finally {
      await database.close();
      await testDb.drop();
    }
  });

  test('after a table changes under a prepared select *, the next run prepares it afresh', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    const database = openPostgres(testDb.url!, { poolMax: 1 });
    const migrator = openPostgres(testDb.url!, { poolMax: 1, preparedStatements: false });
    try {
      await changedTableFailsOnce(t, database, migrator);
    } finally {
      await database.close();
      await migrator.close();
      await testDb.drop();
    }
  });
}
