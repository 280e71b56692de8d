// The evaluator, the bucket recommender and the drafts-dashboard projection on an embedded store: one evaluation per
// final note however often (and by however many processes) its events are delivered, a second final note evaluated
// anew, recommendations only once the window is full and only when the bucket would change, never repeated while
// pending, and never decided on a read model that has not applied the trigger.
import test from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { draftStreamId, speakerStreamId, type Bucket } from '../../domain/drafts/events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { DRAFTS_BUCKET_RECOMMENDER, draftsBucketRecommender } from '../../projections/drafts/bucket-recommender.js';
import { draftsDashboardProjection } from '../../projections/drafts/dashboard-projection.js';
import { DRAFTS_EVALUATOR, draftsEvaluator } from '../../projections/drafts/draft-evaluator.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import type { Enricher } from '../../projections/enricher.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { appliedCheckpoint, ReadModelBehind } from '../../projections/projection-status.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { collect, metadata } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';

let testDb: TestDatabase;
let store: EventStore;
let dashboard: ProjectionApplier;
const signal = new AbortController().signal;
const logger = pino({ level: 'silent' });
const options = { maxAttempts: 2, retryMinMs: 1, retryMaxMs: 5, isTransient: () => false };

test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
  dashboard = new ProjectionApplier(testDb.database.db, store, draftsDashboardProjection, logger, options);
  await dashboard.start();
});
test.after.always(() => testDb?.drop());

const evaluator = (): Enricher => draftsEvaluator({ store, ids: uuidV7Ids, clock: systemClock, upcasting });
const recommender = (window: number): Enricher =>
  draftsBucketRecommender({ store, ids: uuidV7Ids, clock: systemClock, upcasting, db: testDb.database.db, appliedPosition: appliedCheckpoint(store), window });
const consumer = (enricher: Enricher): EnricherConsumer => new EnricherConsumer(testDb.database.db, enricher, logger, options);

/** Hands the consumer the events as the bus would, with the checkpoint after the last. */
const deliver = (to: EnricherConsumer, events: readonly RecordedEvent[]) => to.process(events, { kind: 'checkpoint', position: events.at(-1)!.position }, signal);

/** The dashboard projection catches up with the log, as its runner would. */
async function projectAll(): Promise<void> {
  const from = await dashboard.resumeFrom();
  const events = await collect(store.readAll({ from, categories: draftsDashboardProjection.categories }));
  if (events.length > 0) await dashboard.process(events, { kind: 'checkpoint', position: events.at(-1)!.position }, signal);
}

const at = '2026-12-01T09:00:00.000Z';

async function speaker(bucket: Bucket = 'high_edit'): Promise<string> {
  const speakerId = uuidv7();
  await store.append(
    speakerStreamId(speakerId),
    [{ eventId: uuidv7(), type: 'SpeakerCreated', data: { speakerId, name: 'Dr Test', externalId: null, specialty: 'cardiology', bucket, createdBy: 'test', createdAt: at }, metadata }],
    { expectedRevision: 'no_stream' },
  );
  return speakerId;
}

async function append(streamId: string, type: string, data: unknown): Promise<RecordedEvent> {
  await store.append(streamId, [{ eventId: uuidv7(), type, data, metadata }], { expectedRevision: 'any' });
  return (await collect(store.readStream(streamId))).at(-1)!;
}

const ingest = (speakerId: string, text: string, draftId = uuidv7()) =>
  append(draftStreamId(draftId), 'DraftIngested', { draftId, speakerId, externalId: `ext-${draftId}`, text, textHash: 'x', recordedAt: '2026-11-30T08:00:00.000Z', metadata: null, ingestedAt: at });
const dfn = (draft: RecordedEvent, text: string) => {
  const { draftId, speakerId } = draft.data as { draftId: string; speakerId: string };
  return append(draft.streamId, 'DfnGenerated', { draftId, speakerId, text, provider: 'local', model: 'test', retrieved: [], latencyMs: 1, generatedAt: at });
};
const finalNote = (draft: RecordedEvent, text: string) => {
  const { draftId, speakerId } = draft.data as { draftId: string; speakerId: string };
  return append(draft.streamId, 'FinalNoteRecorded', { draftId, speakerId, text, recordedBy: 'test', recordedAt: at });
};

const streamOf = (draft: RecordedEvent) => collect(store.readStream(draft.streamId));
const evaluationsOf = async (draft: RecordedEvent) => (await streamOf(draft)).filter((event) => event.type === 'EvaluationCompleted');

const NOTE = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'; // 10 words
/** The note with its first `wrong` words replaced: a raw WER of wrong/10. */
const withErrors = (wrong: number) => NOTE.split(' ').map((word, index) => (index < wrong ? `x${word}` : word)).join(' ');

test.serial('the evaluator appends one evaluation per final note, with the metrics and the speaker bucket, however often it is delivered', async (t) => {
  const speakerId = await speaker('medium_edit');
  const draft = await ingest(speakerId, 'um alpha beta gamma');
  const generated = await dfn(draft, 'Alpha beta gamma.');
  const note = await finalNote(draft, 'Alpha, beta, gamma, delta.');
  const first = consumer(evaluator());
  await deliver(first, [generated, note]);
  await deliver(first, [generated, note]); // redelivered
  await deliver(consumer(evaluator()), [note]); // and by another process
  const evaluations = await evaluationsOf(draft);
  t.is(evaluations.length, 1);
  const evaluation = evaluations[0]!;
  const draftId = (draft.data as { draftId: string }).draftId;
  t.is(evaluation.eventId, uuidV7Ids.fromName(`${DRAFTS_EVALUATOR}:${draftId}:${note.revision}`));
  // final: alpha beta gamma delta (4); raw: um alpha beta gamma → um (I), delta (D): 2/4; dfn: delta (D): 1/4
  t.like(evaluation.data, {
    evaluationId: evaluation.eventId,
    draftId,
    speakerId,
    bucket: 'medium_edit',
    finalNoteRevision: note.revision,
    rawWer: 0.5,
    rawEdits: { substitutions: 0, deletions: 1, insertions: 1, reference: 4 },
    dfnWer: 0.25,
    dfnEdits: { substitutions: 0, deletions: 1, insertions: 0, reference: 4 },
    improvement: 0.25,
    metricVersion: 1,
  });
  t.like(evaluation.metadata, { causationId: note.eventId, actor: { sub: DRAFTS_EVALUATOR } }, 'as of the DFN there was no final note: the note completed the pair');
  const done = await evaluator().enrichedAlready([note, generated]);
  t.deepEqual([...done], [note.eventId], 'a final note evaluated already is known without a read of its stream; a DFN is not');
});

test.serial('a final note recorded before the DFN is evaluated when the DFN comes; a second final note gets an evaluation of its own', async (t) => {
  const speakerId = await speaker();
  const draft = await ingest(speakerId, 'alpha beta');
  const note = await finalNote(draft, 'alpha beta gamma');
  const run = consumer(evaluator());
  await deliver(run, [note]);
  t.deepEqual(await evaluationsOf(draft), [], 'no DFN yet: nothing to compare');
  const generated = await dfn(draft, 'alpha beta gamma');
  await deliver(run, [generated]);
  const second = await finalNote(draft, 'alpha beta');
  await deliver(run, [second]);
  await deliver(run, [note, generated, second]); // the whole stream redelivered
  const evaluations = await evaluationsOf(draft);
  t.deepEqual(evaluations.map((event) => (event.data as { finalNoteRevision: number }).finalNoteRevision), [note.revision, second.revision]);
  t.like(evaluations[0]!.data, { rawWer: 1 / 3, dfnWer: 0, dfnRougeL: 1 });
  t.like(evaluations[1]!.data, { rawWer: 0, dfnWer: 0.5, improvement: -0.5 });
});

test.serial('two processes evaluating the same final note at once append one evaluation', async (t) => {
  const speakerId = await speaker();
  const draft = await ingest(speakerId, withErrors(3));
  await dfn(draft, NOTE);
  const note = await finalNote(draft, NOTE);
  await Promise.all([evaluator().enrich(note, signal), evaluator().enrich(note, signal), evaluator().enrich(note, signal)]);
  t.is((await evaluationsOf(draft)).length, 1);
});

/** A draft of this speaker evaluated with a raw WER of wrong/10; its evaluation event. */
async function evaluatedDraft(speakerId: string, wrong: number): Promise<RecordedEvent> {
  const draft = await ingest(speakerId, withErrors(wrong));
  await dfn(draft, NOTE);
  const note = await finalNote(draft, NOTE);
  await evaluator().enrich(note, signal);
  return (await evaluationsOf(draft)).at(-1)!;
}

const recommendationsOf = async (speakerId: string) => (await collect(store.readStream(speakerStreamId(speakerId)))).filter((event) => event.type === 'SpeakerBucketRecommended');

test.serial('a recommendation once the window is full and the mean raw WER maps to another bucket; not repeated while pending', async (t) => {
  const speakerId = await speaker('high_edit');
  const run = consumer(recommender(3));
  const first = await evaluatedDraft(speakerId, 1);
  const second = await evaluatedDraft(speakerId, 0);
  await projectAll();
  await deliver(run, [first, second]);
  t.deepEqual(await recommendationsOf(speakerId), [], 'two evaluations: the window of three is not full');

  const third = await evaluatedDraft(speakerId, 2);
  await projectAll();
  await deliver(run, [third]);
  await deliver(run, [third]); // redelivered
  const [recommendation, ...more] = await recommendationsOf(speakerId);
  t.is(more.length, 0);
  t.is(recommendation!.eventId, uuidV7Ids.fromName(`${DRAFTS_BUCKET_RECOMMENDER}:${third.eventId}`));
  // raw WER 0.1, 0, 0.2: mean 0.1, in [0.05, 0.15): low_edit
  t.like(recommendation!.data, { speakerId, from: 'high_edit', to: 'low_edit', window: 3 });
  t.true(Math.abs((recommendation!.data as { meanRawWer: number }).meanRawWer - 0.1) < 1e-12);
  t.deepEqual((recommendation!.data as { evaluationIds: string[] }).evaluationIds, [third, second, first].map((event) => event.eventId), 'newest first');

  const fourth = await evaluatedDraft(speakerId, 1);
  await projectAll();
  await deliver(run, [fourth]);
  t.is((await recommendationsOf(speakerId)).length, 1, 'the same advice, still pending, is not given again');

  // The operator accepts: the speaker is now low_edit; the window (0, 0.2, 0.1) still says low_edit, so nothing more.
  await store.append(speakerStreamId(speakerId), [{ eventId: uuidv7(), type: 'SpeakerReassigned', data: { speakerId, from: 'high_edit', to: 'low_edit', reason: 'accepted', by: 'op', at } }].map((e) => ({ ...e, metadata })), {
    expectedRevision: 'any',
  });
  const fifth = await evaluatedDraft(speakerId, 0);
  await projectAll();
  await deliver(run, [fifth]);
  t.is((await recommendationsOf(speakerId)).length, 1);

  // Three bad drafts in a row, raw WER 0.5, 0.6 and 0.4: the window moves one evaluation at a time.
  const bad = [await evaluatedDraft(speakerId, 5), await evaluatedDraft(speakerId, 6), await evaluatedDraft(speakerId, 4)];
  await projectAll();
  for (const evaluation of bad) await deliver(run, [evaluation]); // one speaker's drafts in log order
  const all = await recommendationsOf(speakerId);
  // (0.5, 0, 0.1) averages 0.2: medium_edit; (0.6, 0.5, 0): high_edit; (0.4, 0.6, 0.5): high_edit, pending already
  t.deepEqual(all.map((event) => (event.data as { from: string; to: string }).to), ['low_edit', 'medium_edit', 'high_edit']);
});

test.serial('the window is the speaker\'s drafts as of the trigger, each by its latest evaluation', async (t) => {
  const speakerId = await speaker('no_edit');
  const first = await evaluatedDraft(speakerId, 9);
  // The same draft re-evaluated with a better final note: only its latest evaluation counts.
  const draftStream = first.streamId;
  const draftEvent = (await collect(store.readStream(draftStream)))[0]!;
  const note = await finalNote(draftEvent, withErrors(9)); // the raw draft is now exactly the final note: WER 0
  await evaluator().enrich(note, signal);
  const latest = (await evaluationsOf(draftEvent)).at(-1)!;
  const second = await evaluatedDraft(speakerId, 0);
  await projectAll();
  const run = consumer(recommender(2));
  await deliver(run, [latest, second]);
  t.deepEqual(await recommendationsOf(speakerId), [], 'as of the re-evaluation, one draft only; then (0, 0): no_edit, where the speaker is');
  await deliver(run, [first]); // the first evaluation redelivered late: as of it, one draft only
  t.deepEqual(await recommendationsOf(speakerId), []);
});

test.serial('an evaluation delivered after later ones are projected sees only what preceded it in the log', async (t) => {
  const speakerId = await speaker('high_edit');
  const earlier = await evaluatedDraft(speakerId, 0);
  const later = await evaluatedDraft(speakerId, 0);
  await projectAll(); // the read model already holds both
  const run = consumer(recommender(2));
  await deliver(run, [earlier]);
  t.deepEqual(await recommendationsOf(speakerId), [], 'as of the earlier evaluation the window of two is not full');
  await deliver(run, [later]);
  t.like((await recommendationsOf(speakerId))[0]?.data, { from: 'high_edit', to: 'no_edit', evaluationIds: [later.eventId, earlier.eventId] });
});

test.serial('the recommender waits for the dashboard to apply the trigger: a transient failure, never a guess', async (t) => {
  const speakerId = await speaker('high_edit');
  const evaluation = await evaluatedDraft(speakerId, 0);
  const error = await t.throwsAsync(recommender(1).enrich(evaluation, signal), { instanceOf: ReadModelBehind });
  t.true(recommender(1).isUnavailable(error), 'retried for as long as it takes, never parked');
  await projectAll();
  await recommender(1).enrich(evaluation, signal);
  t.like((await recommendationsOf(speakerId))[0]?.data, { from: 'high_edit', to: 'no_edit', meanRawWer: 0, window: 1 });
});

test.serial('the dashboard projection applied twice leaves the same rows', async (t) => {
  const speakerId = await speaker('low_edit');
  await evaluatedDraft(speakerId, 2);
  await projectAll();
  const rows = async () => ({
    drafts: await testDb.database.db.selectFrom('drafts_dashboard_drafts').selectAll().orderBy('draft_id').execute(),
    evaluations: await testDb.database.db.selectFrom('drafts_dashboard_evaluations').selectAll().orderBy('evaluation_id').execute(),
    speakers: await testDb.database.db.selectFrom('drafts_dashboard_speakers').selectAll().orderBy('speaker_id').execute(),
  });
  const before = await rows();
  const history = (await collect(store.readAll({ categories: draftsDashboardProjection.categories }))).filter((event) => draftsDashboardProjection.handles.includes(event.type));
  await testDb.database.db.transaction().execute((tx) => draftsDashboardProjection.apply(tx, history));
  await testDb.database.db.transaction().execute((tx) => draftsDashboardProjection.apply(tx, history));
  t.deepEqual(await rows(), before);
  const draft = before.drafts.find((row) => row.speaker_id === speakerId)!;
  t.like(draft, { day: '2026-11-30', bucket: 'low_edit', raw_wer: 0.2, dfn_wer: 0, improvement: 0.2 });
});
