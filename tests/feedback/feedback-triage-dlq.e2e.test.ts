// `chorus dlq` on an enricher's letter: listed, then retried with the real provider chain of the command.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { submitFeedback } from '../../application/feedback/feedback-commands.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { openPglite } from '../../infrastructure/db/database.js';
import { migrate } from '../../infrastructure/db/migrations.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { feedbackTriage } from '../../projections/feedback/feedback-triage.js';
import { allMigrations } from '../support/databases.js';
import { collect } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';
import { runChorus, type CliResult } from '../support/chorus-cli.js';

const chorus = (args: string[], dataDir: string): Promise<CliResult> =>
  runChorus(args, { ...process.env, CHORUS_DATA_DIR: dataDir, DATABASE_URL: '', KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '' });

test('chorus dlq lists an enricher letter and `dlq retry` categorizes the feedback once the provider answers', async (t) => {
  t.timeout(120_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-dlq-'));
  try {
    // A Chorus whose provider failed on this text: the triage enricher parked the submission.
    let database = await openPglite(path.join(dataDir, 'pgdata'));
    await migrate(database.db, 'up', allMigrations);
    let store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const { id } = await submitFeedback(
      { store, ids: uuidV7Ids, clock: systemClock, upcasting },
      { text: 'The app crashes when I open the constructor', rating: 1, channel: null, appVersion: null, customerId: null },
      { correlationId: 'dlq-cli', causationId: null, actor: { sub: 'test', roles: [] } },
    );
    const failing = feedbackTriage({ store, analyze: async () => Promise.reject(new TypeError('expanded is not iterable')), ids: uuidV7Ids, clock: systemClock, upcasting });
    const triage = new EnricherConsumer(database.db, failing, pino({ level: 'silent' }), { maxAttempts: 2, retryMinMs: 1, retryMaxMs: 2, isTransient: () => false });
    const [submitted] = await collect(store.readStream(`feedback-${id}`));
    await triage.process([submitted!], { kind: 'checkpoint', position: submitted!.position }, new AbortController().signal);
    await database.close();

    const list = await chorus(['dlq', 'list', '--consumer', 'enricher.feedback-triage'], dataDir);
    t.is(list.code, 0, list.stderr);
    const letterId = /^#(\d+)\s+open\s+enricher\.feedback-triage\s+feedback-/m.exec(list.stdout)?.[1];
    t.truthy(letterId, list.stdout);
    t.regex(list.stdout, /TypeError: expanded is not iterable/);

    const retried = await chorus(['dlq', 'retry', letterId!], dataDir);
    t.is(retried.code, 0, retried.stderr);
    t.regex(retried.stdout, new RegExp(`resolved #${letterId}\\s+enricher\\.feedback-triage\\s+feedback-${id}@0 FeedbackSubmitted`));

    database = await openPglite(path.join(dataDir, 'pgdata'));
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const events = await collect(store.readStream(`feedback-${id}`));
    await database.close();
    t.deepEqual(events.map((event) => event.type), ['FeedbackSubmitted', 'FeedbackCategorized']);
    t.like(events[1]!.data, { category: 'crash', provider: 'local' });

    const again = await chorus(['dlq', 'retry', letterId!], dataDir);
    t.is(again.code, 2);
    t.regex(again.stderr, /already resolved/);

    // Both retries, the refused one too, are in the audit trail, by the shell's user.
    database = await openPglite(path.join(dataDir, 'pgdata'));
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const audited = (await collect(store.readAll({ categories: ['audit'] }))).map((event) => event.data as { type: string; subject: string; reason: string; actor: { sub: string } });
    await database.close();
    t.deepEqual(audited.map((entry) => [entry.type, entry.subject]), [['deadletter.retried', `deadletter:${letterId}`], ['deadletter.retried', `deadletter:${letterId}`]]);
    t.is(audited[0]!.reason, 'resolved 1 letter(s)');
    t.regex(audited[1]!.reason, /^refused: DLQ\./);
    t.regex(audited[0]!.actor.sub, /^cli:/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
