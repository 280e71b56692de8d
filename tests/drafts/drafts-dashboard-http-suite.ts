// GET /v1/drafts/dashboard end to end, on a real server: figures checked against hand-computed ones from a handful
// of evaluations (appended to the store as the evaluator would), grouped by bucket and by day, filtered by range and
// bucket; bad parameters refused with a code; the cache keyed by the read model's progress; and one draft through
// the running evaluator. Each test keeps to days of its own, so that the shared database's other drafts stay out.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { contexts } from '../../api/contexts.js';
import { DRAFTS_DFN } from '../../projections/drafts/dfn-enricher.js';
import { draftStreamId, speakerStreamId, type Bucket } from '../../domain/drafts/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { collect, metadata } from '../support/events.js';
import { HttpSpecification, type HttpEnvironment } from '../support/http-specification.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

type Evaluation = Readonly<{ bucket: Bucket; raw: number; dfn: number; improvement: number }>;

/** Equal up to floating-point rounding: the expected means are fractions computed by hand. */
const near = (t: ExecutionContext, actual: number | null, expected: number, label: string): void => {
  t.true(actual !== null && Math.abs(actual - expected) < 1e-12, `${label}: ${actual} ≈ ${expected}`);
};

export function draftsDashboardHttpSuite(profile: Profile): void {
  const { call, when, chorus } = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '10000', CHORUS_POLL_INTERVAL_MS: '100', CHORUS_DRAFTS_BUCKET_WINDOW: '2' },
    as: ['viewer'],
    // The DFNs are appended here by hand: the DFN enricher that would append its own stays off (the evaluator and
    // the recommender run; tests/drafts/drafts-flow-*.e2e runs them all).
    contexts: contexts.map((hosted) =>
      hosted.name === 'drafts' ? { ...hosted, enrichers: (deps) => hosted.enrichers(deps).filter((enricher) => enricher.name !== DRAFTS_DFN) } : hosted,
    ),
  });
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);
  const store = () => chorus().system.store;
  let last = '';
  async function append(streamId: string, type: string, data: unknown): Promise<void> {
    const { position } = await store().append(streamId, [{ eventId: uuidv7(), type, data, metadata }], { expectedRevision: 'any' });
    last = position;
  }
  const fresh = () => ({ 'X-Chorus-Min-Position': last });

  async function speaker(bucket: Bucket): Promise<string> {
    const speakerId = uuidv7();
    await append(speakerStreamId(speakerId), 'SpeakerCreated', { speakerId, name: 'Dr Dash', externalId: null, specialty: null, bucket, createdBy: 'test', createdAt: '2031-01-01T00:00:00.000Z' });
    return speakerId;
  }
  /** A draft recorded (or, without recordedAt, ingested) on `day`, evaluated in order by `evaluations`. */
  async function draft(speakerId: string, day: { recordedAt?: string; ingestedAt?: string }, evaluations: readonly Evaluation[] = []): Promise<string> {
    const draftId = uuidv7();
    const stream = draftStreamId(draftId);
    await append(stream, 'DraftIngested', {
      draftId, speakerId, externalId: draftId, text: 'raw', textHash: 'h', recordedAt: day.recordedAt ?? null, metadata: null, ingestedAt: day.ingestedAt ?? '2031-01-01T00:00:00.000Z',
    });
    let finalNoteRevision = 0;
    for (const { bucket, raw, dfn, improvement } of evaluations) {
      finalNoteRevision++;
      const edits = { substitutions: 0, deletions: 0, insertions: 0, reference: 8 };
      await append(stream, 'EvaluationCompleted', {
        evaluationId: uuidv7(), draftId, speakerId, bucket, finalNoteRevision, rawWer: raw, rawCer: raw, rawEdits: edits, dfnWer: dfn, dfnCer: dfn, dfnEdits: edits,
        dfnRougeL: 1 - dfn, improvement, metricVersion: 1, evaluatedAt: '2031-03-04T00:00:00.000Z',
      });
    }
    return draftId;
  }
  const dashboard = (query: string, headers: Record<string, string> = fresh()) => call('GET', `/v1/drafts/dashboard?${query}`, { headers });

  it('totals, buckets and days over each draft\'s latest evaluation, mean and p90 (nearest rank) computed by hand', async (t) => {
    const low = await speaker('low_edit');
    const high = await speaker('high_edit');
    const on = (day: string) => ({ recordedAt: `${day}T10:00:00.000Z` });
    await draft(low, on('2031-03-01'), [{ bucket: 'low_edit', raw: 0.125, dfn: 0.0625, improvement: 0.0625 }]);
    await draft(low, on('2031-03-01'), [{ bucket: 'low_edit', raw: 0.25, dfn: 0.125, improvement: 0.125 }]);
    await draft(high, on('2031-03-02'), [{ bucket: 'high_edit', raw: 0.5, dfn: 0.25, improvement: 0.25 }]);
    await draft(high, on('2031-03-02')); // not evaluated: counted in its speaker's bucket now
    await draft(low, on('2031-03-02'), [
      { bucket: 'medium_edit', raw: 0.875, dfn: 0.875, improvement: 0 }, // replaced by a second final note's evaluation
      { bucket: 'low_edit', raw: 0.375, dfn: 0.125, improvement: 0.25 },
    ]);
    await draft(high, { ingestedAt: '2031-03-03T23:59:59.000Z' }, [{ bucket: 'high_edit', raw: 0.75, dfn: 0.75, improvement: 0 }]); // no recordedAt: its ingestion day

    const reply = await dashboard('from=2031-03-01&to=2031-03-03');
    t.is(reply.status, 200);
    const { totals, byBucket, byDay } = reply.body;
    t.like(reply.body, { from: '2031-03-01', to: '2031-03-03', bucket: null });
    // Latest evaluations: raw 0.125 0.25 0.5 0.375 0.75 (mean 2/5, p90 = 5th of 5 = 0.75);
    // dfn 0.0625 0.125 0.25 0.125 0.75 (mean 1.3125/5); improvement 0.0625 0.125 0.25 0.25 0 (mean 0.6875/5)
    t.like(totals, { drafts: 6, evaluatedDrafts: 5, rawWer: { p90: 0.75 }, dfnWer: { p90: 0.75 } });
    near(t, totals.evaluatedShare, 5 / 6, 'share');
    near(t, totals.rawWer.mean, 0.4, 'raw mean');
    near(t, totals.dfnWer.mean, 1.3125 / 5, 'dfn mean');
    near(t, totals.improvement.mean, 0.6875 / 5, 'improvement mean');

    t.deepEqual(byBucket.map((b: { bucket: string; drafts: number; evaluatedDrafts: number }) => [b.bucket, b.drafts, b.evaluatedDrafts]), [
      ['no_edit', 0, 0],
      ['low_edit', 3, 3],
      ['medium_edit', 0, 0], // the replaced evaluation's bucket does not count
      ['high_edit', 3, 2],
    ]);
    const [none, lowRow, , highRow] = byBucket;
    t.like(none, { evaluatedShare: null, rawWer: { mean: null, p90: null }, improvement: { mean: null } });
    // low: raw 0.125 0.25 0.375 (mean 0.25, p90 = 3rd of 3); dfn 0.0625 0.125 0.125 (p90 0.125); improvement 0.0625 0.125 0.25
    t.like(lowRow, { rawWer: { mean: 0.25, p90: 0.375 }, dfnWer: { p90: 0.125 } });
    near(t, lowRow.dfnWer.mean, 0.3125 / 3, 'low dfn mean');
    near(t, lowRow.improvement.mean, 0.4375 / 3, 'low improvement mean');
    // high: raw 0.5 0.75 (mean 0.625, p90 = 2nd of 2); dfn 0.25 0.75 (mean 0.5); improvement 0.25 0 (mean 0.125)
    t.like(highRow, { evaluatedShare: 2 / 3, rawWer: { mean: 0.625, p90: 0.75 }, dfnWer: { mean: 0.5, p90: 0.75 }, improvement: { mean: 0.125 } });

    t.deepEqual(byDay.map((d: { day: string; drafts: number; evaluatedDrafts: number }) => [d.day, d.drafts, d.evaluatedDrafts]), [
      ['2031-03-01', 2, 2],
      ['2031-03-02', 3, 2],
      ['2031-03-03', 1, 1],
    ]);
    // 03-01: raw 0.125 0.25 (mean 0.1875, p90 0.25); 03-02: raw 0.5 0.375 (mean 0.4375, p90 0.5), improvement 0.25 0.25
    t.like(byDay[0], { rawWer: { mean: 0.1875, p90: 0.25 }, dfnWer: { mean: 0.09375, p90: 0.125 }, improvement: { mean: 0.09375 } });
    t.like(byDay[1], { rawWer: { mean: 0.4375, p90: 0.5 }, dfnWer: { mean: 0.1875, p90: 0.25 }, improvement: { mean: 0.25 } });
    t.like(byDay[2], { rawWer: { mean: 0.75, p90: 0.75 }, improvement: { mean: 0 } });

    const oneDay = await dashboard('from=2031-03-02&to=2031-03-02');
    t.like(oneDay.body, { totals: { drafts: 3, evaluatedDrafts: 2, rawWer: { mean: 0.4375, p90: 0.5 } } });
    t.deepEqual(oneDay.body.byDay.map((d: { day: string }) => d.day), ['2031-03-02']);

    const highOnly = await dashboard('from=2031-03-01&to=2031-03-03&bucket=high_edit');
    t.like(highOnly.body, { bucket: 'high_edit', totals: { drafts: 3, evaluatedDrafts: 2, rawWer: { mean: 0.625, p90: 0.75 } } });
    t.deepEqual(highOnly.body.byBucket.map((b: { bucket: string }) => b.bucket), ['high_edit']);
    t.deepEqual(highOnly.body.byDay.map((d: { day: string; drafts: number }) => [d.day, d.drafts]), [['2031-03-02', 2], ['2031-03-03', 1]]);

    // The speaker of the draft not evaluated moves: so does that draft; evaluated drafts keep their bucket.
    await append(speakerStreamId(high), 'SpeakerReassigned', { speakerId: high, from: 'high_edit', to: 'medium_edit', reason: 'test', by: 'test', at: '2031-03-04T00:00:00.000Z' });
    const moved = await dashboard('from=2031-03-01&to=2031-03-03');
    t.like(moved.body.byBucket[2], { bucket: 'medium_edit', drafts: 1, evaluatedDrafts: 0 });
    t.like(moved.body.byBucket[3], { bucket: 'high_edit', drafts: 2, evaluatedDrafts: 2 });
  });

  it('the range defaults to the 30 days ending today, and is empty there of these tests\' drafts', async (t) => {
    const reply = await when('GET', '/v1/drafts/dashboard').then(t, { status: 200 });
    const today = new Date().toISOString().slice(0, 10);
    t.is(reply.body.to, today);
    t.is(reply.body.from, new Date(Date.parse(today) - 29 * 86_400_000).toISOString().slice(0, 10));
    const fromOnly = await when('GET', '/v1/drafts/dashboard?from=2030-01-01').then(t, { status: 200 });
    t.like(fromOnly.body, { from: '2030-01-01', to: '2030-01-30', totals: { drafts: 0, evaluatedDrafts: 0, evaluatedShare: null } });
  });

  it('a cached dashboard is served until the read model moves on', async (t) => {
    const speakerId = await speaker('no_edit');
    await draft(speakerId, { recordedAt: '2031-05-01T00:00:00.000Z' }, [{ bucket: 'no_edit', raw: 0.5, dfn: 0.25, improvement: 0.25 }]);
    const query = 'from=2031-05-01&to=2031-05-01';
    const first = await dashboard(query);
    const again = await dashboard(query);
    t.is(first.headers.get('x-chorus-cache'), 'miss');
    t.is(again.headers.get('x-chorus-cache'), 'hit');
    t.deepEqual(again.body, first.body);
    await draft(speakerId, { recordedAt: '2031-05-01T00:00:00.000Z' });
    const moved = await dashboard(query);
    t.is(moved.headers.get('x-chorus-cache'), 'miss');
    t.like(moved.body, { totals: { drafts: 2, evaluatedDrafts: 1, evaluatedShare: 0.5 } });
  });

  it('bad parameters are refused with a problem document and a code, never a 500', async (t) => {
    for (const query of ['from=2031-13-01', 'to=2031-02-30', 'from=yesterday', 'bucket=some_edit', 'days=3', 'from=2031-03-01T00:00:00Z']) {
      await when('GET', `/v1/drafts/dashboard?${query}`).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
    await when('GET', '/v1/drafts/dashboard?from=2031-03-02&to=2031-03-01').then(t, { status: 400, code: 'DRAFTS.INVALID_RANGE' });
    await when('GET', '/v1/drafts/dashboard?from=2030-01-01&to=2031-01-02').then(t, { status: 400, code: 'DRAFTS.RANGE_TOO_LONG' });
    await when('GET', '/v1/drafts/dashboard?from=2030-01-01&to=2031-01-01').then(t, { status: 200 }); // 366 days
    const lastDays = await when('GET', '/v1/drafts/dashboard?from=9999-12-20').then(t, { status: 200 }); // the default range stops at 9999-12-31
    t.is(lastDays.body.to, '9999-12-31');
  });

  it('viewers and the roles that work drafts may read it; members may not, nor anyone signed out', async (t) => {
    for (const role of ['viewer', 'agent', 'operator', 'admin'] as const) await when('GET', '/v1/drafts/dashboard', { as: [role] }).then(t, { status: 200 });
    await when('GET', '/v1/drafts/dashboard', { as: ['member'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('GET', '/v1/drafts/dashboard', { as: 'anonymous' }).then(t, { status: 401 });
  });

  /** Polls the stream until `found` picks an event, for up to 30 s. */
  async function eventually(t: ExecutionContext, streamId: string, found: (event: RecordedEvent) => boolean, what: string): Promise<RecordedEvent | undefined> {
    for (let waited = 0; waited < 300; waited++) {
      const event = (await collect(store().readStream(streamId))).find(found);
      if (event !== undefined) return event;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.fail(`no ${what} within 30 s`);
    return undefined;
  }

  /** A draft with its DFN and final note, as the other parts of the drafts context append them. */
  async function draftToEvaluate(speakerId: string, texts: Readonly<{ raw: string; dfn: string; finalNote: string; day: string }>): Promise<string> {
    const draftId = uuidv7();
    const stream = draftStreamId(draftId);
    await append(stream, 'DraftIngested', { draftId, speakerId, externalId: draftId, text: texts.raw, textHash: 'h', recordedAt: `${texts.day}T08:00:00.000Z`, metadata: null, ingestedAt: `${texts.day}T08:00:00.000Z` });
    await append(stream, 'DfnGenerated', { draftId, speakerId, text: texts.dfn, provider: 'local', model: 'test', retrieved: [], latencyMs: 1, generatedAt: `${texts.day}T08:00:01.000Z` });
    await append(stream, 'FinalNoteRecorded', { draftId, speakerId, text: texts.finalNote, recordedBy: 'test', recordedAt: `${texts.day}T09:00:00.000Z` });
    return stream;
  }

  it('a draft through the running evaluator: DFN and final note in, evaluation out, on the dashboard', async (t) => {
    const speakerId = await speaker('medium_edit');
    const stream = await draftToEvaluate(speakerId, { raw: 'um patient is stable period', dfn: 'Patient is stable.', finalNote: 'The patient is stable.', day: '2031-07-01' });
    const evaluation = await eventually(t, stream, (event) => event.type === 'EvaluationCompleted', 'evaluation');
    if (evaluation === undefined) return;
    // final: the patient is stable (4); raw: um patient is stable period → um→the (S), period (I): 2/4; dfn: the (D): 1/4
    t.like(evaluation.data, { bucket: 'medium_edit', rawWer: 0.5, dfnWer: 0.25, improvement: 0.25 });
    const reply = await dashboard('from=2031-07-01&to=2031-07-01', { 'X-Chorus-Min-Position': evaluation.position });
    t.like(reply.body, { totals: { drafts: 1, evaluatedDrafts: 1, rawWer: { mean: 0.5 }, dfnWer: { mean: 0.25 } } });
    t.like(reply.body.byBucket[2], { bucket: 'medium_edit', drafts: 1, evaluatedDrafts: 1 });
  });

  it('two clean drafts through the running evaluator and recommender (window 2): a recommendation, no reassignment', async (t) => {
    const speakerId = await speaker('high_edit');
    const note = 'Assessment: stable. Plan: review in two weeks.';
    for (const day of ['2031-08-01', '2031-08-02']) {
      const stream = await draftToEvaluate(speakerId, { raw: 'assessment stable plan review in two weeks', dfn: note, finalNote: note, day });
      await eventually(t, stream, (event) => event.type === 'EvaluationCompleted', 'evaluation');
    }
    const recommendation = await eventually(t, speakerStreamId(speakerId), (event) => event.type === 'SpeakerBucketRecommended', 'recommendation');
    t.like(recommendation?.data, { speakerId, from: 'high_edit', to: 'no_edit', meanRawWer: 0, window: 2 });
    const types = (await collect(store().readStream(speakerStreamId(speakerId)))).map((event) => event.type);
    t.deepEqual(types, ['SpeakerCreated', 'SpeakerBucketRecommended'], 'recommended once, never reassigned');
  });

  it('the dashboard read model, folded anew from the log, equals the live one (verify)', async (t) => {
    const started = await call('POST', '/v1/ops/projections/drafts-dashboard/verify', { as: ['operator'] });
    t.is(started.status, 202);
    const location = started.headers.get('location')!;
    let verified: { status: string } | undefined;
    for (let waited = 0; waited < 300 && (verified === undefined || verified.status === 'running'); waited++) {
      if (waited > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      verified = (await call('GET', location, { as: ['operator'] })).body as { status: string };
    }
    t.like(verified, { status: 'completed', equal: true, missing: 0, extra: 0, different: 0 });
  });
}
