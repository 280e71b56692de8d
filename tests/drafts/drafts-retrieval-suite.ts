// The FullTextRetriever's ranking, one suite run on PGlite and on PostgreSQL (with and without pg_trgm there):
// the speaker's own pairs before colleagues' of the same specialty, other specialties never, the draft itself
// never, drafts without a final note never, the latest final note, and any text as a query.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { speakerStreamId } from '../../domain/drafts/events.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import type { TestDatabase } from '../support/databases.js';
import { recordedEventLog } from '../support/projection-specification.js';
import { recordPair, speakerCreated } from './dfn-events.js';

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

export type RetrievalSuiteOptions = Readonly<{
  name: string;
  open: () => Promise<TestDatabase>;
  /** Whether the database has pg_trgm (the retriever asks it); `variants` runs the suite again with it forced off. */
  trigrams: boolean;
}>;

export function draftsRetrievalSuite({ name, open, trigrams }: RetrievalSuiteOptions): void {
  let testDb: Promise<TestDatabase> | undefined;
  const database = () => (testDb ??= open());
  test.after.always(async () => (await testDb)?.drop());

  async function project(events: readonly RecordedEvent[]): Promise<void> {
    const { db } = (await database()).database;
    await db.transaction().execute((tx) => draftsRetrievalProjection.apply(tx, events));
  }

  /** A fresh specialty per test: the suite's tests share one database and must not see each other's pairs. */
  function world() {
    const log = recordedEventLog();
    const specialty = `cardiology-${uuidv7()}`;
    const speaker = (specialtyOf: string | null = specialty) => {
      const speakerId = uuidv7();
      return { speakerId, event: log.record(speakerStreamId(speakerId), speakerCreated(speakerId, specialtyOf)) };
    };
    return { log, specialty, speaker };
  }

  const variants = trigrams ? [true, false] : [false];
  for (const useTrigrams of variants) {
    const label = `${name}${trigrams ? (useTrigrams ? ', pg_trgm' : ', without pg_trgm') : ''}`;
    const retriever = async (): Promise<FullTextRetriever> => new FullTextRetriever((await database()).database.db, useTrigrams === trigrams ? {} : { trigrams: useTrigrams });

    test(`${label}: own pairs first, then the specialty's, then own pairs about something else; other specialties, drafts without notes and the draft itself never`, async (t) => {
      const { log, specialty, speaker } = world();
      const me = speaker();
      const colleague = speaker();
      const stranger = speaker(`dermatology-${uuidv7()}`);
      const text = 'chest pain with hyper tension on meta prolol';
      const mine = recordPair(log, me.speakerId, 'chest pain and hyper tension period', 'Chest pain and hypertension.');
      const mineUnrelated = recordPair(log, me.speakerId, 'knee swelling after a fall', 'Knee swelling after a fall.');
      const mineWithoutNote = recordPair(log, me.speakerId, 'chest pain hyper tension meta prolol', null);
      const theirs = recordPair(log, colleague.speakerId, 'chest pain and hyper tension period', 'Chest pain and hypertension.');
      const strangers = recordPair(log, stranger.speakerId, 'chest pain with hyper tension on meta prolol', 'Chest pain with hypertension on metoprolol.');
      const itself = recordPair(log, me.speakerId, text, 'Chest pain with hypertension on metoprolol.');
      await project([me.event, colleague.event, stranger.event, ...[mine, mineUnrelated, mineWithoutNote, theirs, strangers, itself].flatMap((pair) => pair.events)]);

      const pairs = await (await retriever()).retrieve({ draftId: itself.draftId, speakerId: me.speakerId, specialty, text, limit: 8 });
      // The speaker's own pair about something else comes too (their habits show in every pair), after the matches;
      // a colleague's pair must share a term (see the colleagues' test).
      t.deepEqual(pairs.map((pair) => pair.draftId), [mine.draftId, theirs.draftId, mineUnrelated.draftId], 'an own unrelated pair ranks last');
      t.like(pairs[0], { own: true, speakerId: me.speakerId, draft: 'chest pain and hyper tension period', finalNote: 'Chest pain and hypertension.' });
      t.like(pairs[1], { own: false, speakerId: colleague.speakerId });
      t.true(pairs[0]!.score > pairs[1]!.score);
      t.deepEqual(
        (await (await retriever()).retrieve({ draftId: itself.draftId, speakerId: me.speakerId, specialty, text, limit: 1 })).map((pair) => pair.draftId),
        [mine.draftId],
        'at most limit pairs',
      );
    });

    test(`${label}: among colleagues, the closer draft ranks first; the latest note is the one retrieved`, async (t) => {
      const { log, specialty, speaker } = world();
      const me = speaker();
      const colleague = speaker();
      const close = recordPair(log, colleague.speakerId, 'atrial fibrillation on apixaban with palpitations', 'Atrial fibrillation on apixaban.');
      const far = recordPair(log, colleague.speakerId, 'palpitations at night only', 'Palpitations at night only.');
      const replaced = recordPair(log, colleague.speakerId, 'apixaban started for fibrillation', 'First note.');
      const second = log.record(replaced.events[0]!.streamId, {
        type: 'FinalNoteRecorded',
        data: { draftId: replaced.draftId, speakerId: colleague.speakerId, text: 'Apixaban started for fibrillation.', recordedBy: 'editor', recordedAt: '2026-12-02T09:00:00.000Z' },
      });
      await project([me.event, colleague.event, ...close.events, ...far.events, ...replaced.events, second]);

      const pairs = await (await retriever()).retrieve({ draftId: uuidv7(), speakerId: me.speakerId, specialty, text: 'palpitations and atrial fibrillation on apixaban', limit: 8 });
      t.is(pairs[0]?.draftId, close.draftId);
      t.deepEqual(sorted(pairs.map((pair) => pair.draftId)), sorted([close.draftId, far.draftId, replaced.draftId]));
      t.is(pairs.find((pair) => pair.draftId === replaced.draftId)?.finalNote, 'Apixaban started for fibrillation.');
    });

    test(`${label}: a speaker without a specialty gets only their own pairs`, async (t) => {
      const { log, speaker } = world();
      const me = speaker(null);
      const other = speaker(null);
      const mine = recordPair(log, me.speakerId, 'wheezing at night', 'Wheezing at night.');
      const theirs = recordPair(log, other.speakerId, 'wheezing at night', 'Wheezing at night.');
      await project([me.event, other.event, ...mine.events, ...theirs.events]);
      const pairs = await (await retriever()).retrieve({ draftId: uuidv7(), speakerId: me.speakerId, specialty: null, text: 'wheezing again at night', limit: 8 });
      t.deepEqual(pairs.map((pair) => pair.draftId), [mine.draftId]);
    });

    test(`${label}: any text is a safe query, a 100k-character one too; a draft of no search terms gets the speaker's latest pairs`, async (t: ExecutionContext) => {
      const { log, specialty, speaker } = world();
      const me = speaker();
      const older = recordPair(log, me.speakerId, "o'brien: 'quoted' & | ! <-> (x) \\ wheeze", "O'Brien: wheeze.", uuidv7(), '2026-12-01T08:00:00.000Z');
      const newer = recordPair(log, me.speakerId, 'zürich ünïcödé 🫀 wheeze', 'Zürich wheeze.', uuidv7(), '2026-12-01T10:00:00.000Z');
      await project([me.event, ...older.events, ...newer.events]);
      const instance = await retriever();
      const query = (text: string) => instance.retrieve({ draftId: uuidv7(), speakerId: me.speakerId, specialty, text, limit: 8 });
      t.deepEqual(sorted((await query("o'brien & | ! <-> (x) \\ ünïcödé wheeze")).map((pair) => pair.draftId)), sorted([older.draftId, newer.draftId]));
      const long = `${'wheeze '.repeat(10_000)}${"'&|!:* ".repeat(2_000)}`.slice(0, 100_000);
      t.deepEqual(sorted((await query(long)).map((pair) => pair.draftId)), sorted([older.draftId, newer.draftId]));
      t.deepEqual((await query('a, b: 12 & !')).map((pair) => pair.draftId), [newer.draftId, older.draftId], 'newest first when nothing can rank them');
      t.is((await query('🫀')).length, 2);
    });
  }

  test(`${name}: the retriever ${trigrams ? 'finds' : 'does not find'} pg_trgm`, async (t) => {
    t.is(await new FullTextRetriever((await database()).database.db).usesTrigrams(), trigrams);
  });
}
