// Group commit in the built-in store: appends made while others are written go together in one statement, and
// each keeps its own outcome (a conflict, an event id stored already, text jsonb refuses), on PGlite and on a server.
import test, { type ExecutionContext } from 'ava';
import type { KyselyPlugin, RawNode } from 'kysely';
import { WrongExpectedRevision, ValidationError } from '../../domain/kernel/errors.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import type { AppendResult, NewEvent } from '../../application/ports/event-store.js';
import type { ExpectedRevision } from '../../domain/kernel/errors.js';
import { embeddedTestDatabase, serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { untilReadable } from './event-store-contract.js';
import { collect, freshCategory, freshStream, newEvent, newEvents } from '../support/events.js';

type Subject = { store: PostgresEventStore; groups(): number; drop(): Promise<void> };

/** A store whose group statements are counted. */
async function open(database: TestDatabase): Promise<Subject> {
  let groups = 0;
  const counting: KyselyPlugin = {
    transformQuery: (args) => {
      if (args.node.kind === 'RawNode' && (args.node as RawNode).sqlFragments.some((fragment) => fragment.includes('with input as'))) groups++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const db = database.database.db.withPlugin(counting);
  // One statement at a time, so that which appends wait (and go together) is known.
  const store = new PostgresEventStore({ ...database.database, db }, { pollIntervalMs: 100, appendLanes: 1 });
  return { store, groups: () => groups, drop: database.drop };
}

type Outcome = AppendResult | Error;
const settle = (append: Promise<AppendResult>): Promise<Outcome> => append.catch((error: Error) => error);

function groupedAppendsSuite(name: string, database: () => Promise<TestDatabase>): void {
  const it = (title: string, body: (t: ExecutionContext, subject: Subject) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => {
      const subject = await open(await database());
      try {
        await body(t, subject);
      } finally {
        await subject.drop();
      }
    });

  it('appends made while one is written go as one group, and each keeps its own outcome', async (t, { store, groups }) => {
    const category = freshCategory();
    const existing = freshStream(category);
    const other = freshStream(category);
    await store.append(existing, newEvents(2), { expectedRevision: 'no_stream' });
    await store.append(other, newEvents(1), { expectedRevision: 'no_stream' });

    const asked: { streamId: string; events: NewEvent[]; expectedRevision: ExpectedRevision }[] = [
      { streamId: freshStream(category), events: newEvents(3), expectedRevision: 'no_stream' },
      { streamId: existing, events: newEvents(1), expectedRevision: 'no_stream' }, // conflicts
      { streamId: other, events: newEvents(2), expectedRevision: 0 },
      { streamId: freshStream(category), events: newEvents(1), expectedRevision: 5 }, // conflicts
      { streamId: freshStream(category), events: newEvents(2), expectedRevision: 'any' },
    ];
    const first = store.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' }); // written alone; the rest wait for it
    const outcomes = await Promise.all(asked.map(({ streamId, events, expectedRevision }) => settle(store.append(streamId, events, { expectedRevision }))));
    await first;
    t.is(groups(), 1, 'the appends that waited went as one statement');

    t.like(outcomes[0], { nextRevision: 2 });
    t.true(outcomes[1] instanceof WrongExpectedRevision);
    t.is((outcomes[1] as WrongExpectedRevision).actual, 1);
    t.like(outcomes[2], { nextRevision: 2 });
    t.true(outcomes[3] instanceof WrongExpectedRevision);
    t.like(outcomes[4], { nextRevision: 1 });

    for (const [k, { streamId, events }] of asked.entries()) {
      const stored = await collect(store.readStream(streamId));
      const outcome = outcomes[k]!;
      const mine = stored.filter((event) => events.some((asked) => asked.eventId === event.eventId));
      if (outcome instanceof Error) {
        t.deepEqual(mine, [], `append ${k} stored nothing`);
        continue;
      }
      t.deepEqual(
        mine.map((event) => event.revision),
        events.map((_, n) => outcome.nextRevision - events.length + 1 + n),
        `append ${k}: its revisions`,
      );
      t.is(mine.at(-1)!.position, outcome.position, `append ${k}: its position`);
    }
    const positions = outcomes.flatMap((outcome) => (outcome instanceof Error ? [] : [outcome.position]));
    t.deepEqual(
      [...positions].sort((a, b) => store.comparePositions(a, b)),
      positions,
      'positions follow the order of the appends',
    );
    await untilReadable(store, positions.at(-1)!); // another test's open transaction may hold the log back a while
    const log = await collect(store.readAll({ categories: [category] }));
    t.is(new Set(log.map((event) => event.position)).size, log.length, 'no position is taken twice');
    t.is(log.length, 2 + 1 + 1 + 3 + 2 + 2);
  });

  it('a group that fails as a whole is written again append by append: each gets its own answer', async (t, { store, groups }) => {
    const category = freshCategory();
    const retried = newEvents(2);
    const retriedStream = freshStream(category);
    const stored = await store.append(retriedStream, retried, { expectedRevision: 'no_stream' });
    const unstorable = newEvent('Happened', { text: 'nul \u0000 here' });

    const first = store.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' });
    const outcomes = await Promise.all([
      settle(store.append(freshStream(category), newEvents(2), { expectedRevision: 'no_stream' })),
      settle(store.append(retriedStream, retried, { expectedRevision: 'no_stream' })), // its ids are stored: a no-op answering where
      settle(store.append(freshStream(category), [unstorable], { expectedRevision: 'any' })),
      settle(store.append(freshStream(category), newEvents(1), { expectedRevision: 'any' })),
    ]);
    await first;
    t.is(groups(), 1, 'they went as one group first');
    t.like(outcomes[0], { nextRevision: 1 });
    t.deepEqual(outcomes[1], stored, 'the retry answers where its events were stored');
    t.true(outcomes[2] instanceof ValidationError, String(outcomes[2]));
    t.like(outcomes[3], { nextRevision: 0 });
    await untilReadable(store, (await store.newestPosition())!);
    const log = await collect(store.readAll({ categories: [category] }));
    t.is(log.length, 2 + 1 + 2 + 1, 'nothing twice, nothing of the refused append');
  });

  it('two appends to one stream at once are never in one group: both land, one after the other', async (t, { store }) => {
    const streamId = freshStream();
    const first = store.append(freshStream(), newEvents(1), { expectedRevision: 'no_stream' });
    const [a, b, c] = await Promise.all([
      store.append(streamId, newEvents(1), { expectedRevision: 'any' }),
      store.append(streamId, newEvents(2), { expectedRevision: 'any' }),
      store.append(streamId, newEvents(1), { expectedRevision: 'any' }),
    ]);
    await first;
    t.deepEqual([a.nextRevision, b.nextRevision, c.nextRevision], [0, 2, 3]);
    t.deepEqual(
      (await collect(store.readStream(streamId))).map((event) => event.revision),
      [0, 1, 2, 3],
    );
  });
}

groupedAppendsSuite('PGlite', embeddedTestDatabase);

const databaseUrl = serviceUrl('DATABASE_URL', 'grouped appends on PostgreSQL');
if (databaseUrl !== undefined) groupedAppendsSuite('PostgreSQL', () => serverTestDatabase(databaseUrl));
