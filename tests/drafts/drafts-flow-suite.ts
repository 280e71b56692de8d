// The drafts context's whole flow with every enricher running: a speaker, a draft, its DFN (retrieval and the
// local provider), a final note, the evaluation, the dashboard and the speaker's aggregates. The same suite runs
// on the embedded profile and with Kafka between the log and the consumers; through Kafka, a redelivered
// DraftIngested (an operator's replay of the draft's stream) generates no second DFN.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { draftStreamId } from '../../domain/drafts/events.js';
import { DRAFTS_DFN } from '../../projections/drafts/dfn-enricher.js';
import { consumerGroupLag, withAdmin } from '../../infrastructure/bus/kafka/kafka.js';
import { collect } from '../support/events.js';
import { HttpSpecification, type HttpEnvironment } from '../support/http-specification.js';

export type Profile = Readonly<{ name: string; kafka: boolean; env(): Promise<HttpEnvironment> }>;

type Json = Record<string, unknown>;

export function draftsFlowSuite(profile: Profile): void {
  const { call, when, chorus } = HttpSpecification({
    environment: () => profile.env(),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '10000', CHORUS_POLL_INTERVAL_MS: '100' },
    as: ['agent'],
  });
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  /** Reads the draft until `ready` holds: the enrichers run on their own, so the test waits for them. */
  async function draftWhen(t: ExecutionContext, id: string, ready: (draft: Json) => boolean, what: string): Promise<Json> {
    let draft: Json = {};
    for (let attempt = 0; attempt < 300; attempt++) {
      draft = (await call('GET', `/v1/drafts/${id}`)).body as Json;
      if (ready(draft)) return draft;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.fail(`${what}: not within 30 s; the draft reads ${JSON.stringify(draft).slice(0, 500)}`);
    return draft;
  }

  const hasDfn = (draft: Json): boolean => draft.dfn !== null && draft.dfn !== undefined;

  it('speaker → drafts → DFN → final note → evaluation → dashboard and the speaker aggregates; later DFNs learn from earlier pairs', async (t) => {
    const speaker = await when('POST', '/v1/speakers', { json: { name: 'Dr Flow', specialty: 'cardiology' } }).then(t, { status: 201 });
    const speakerId = speaker.body.id as string;
    const today = new Date().toISOString().slice(0, 10);
    // The speaker's habits: a filler and a spoken full stop, which the final notes leave out and write as '.'.
    const dictations = [
      ['um the patient reports chest pain period', 'The patient reports chest pain.'],
      ['um the patient denies fever period', 'The patient denies fever.'],
      ['um the patient feels better today period', 'The patient feels better today.'],
    ] as const;
    const ids: string[] = [];
    for (const [raw, finalNote] of dictations) {
      const ingested = await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { externalId: `flow-${uuidv7()}`, text: raw } }).then(t, { status: 201 });
      const id = ingested.body.id as string;
      ids.push(id);
      const dfn = (await draftWhen(t, id, hasDfn, 'DFN')).dfn as Json;
      t.like(dfn, { provider: 'local' });
      t.true(typeof dfn.text === 'string' && dfn.text.length > 0);
      t.true(Number.isInteger(dfn.latencyMs) && (dfn.latencyMs as number) >= 0);
      t.true(Array.isArray(dfn.retrieved));
      const noted = await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: finalNote } }).then(t, { status: 200 });
      const evaluated = await draftWhen(t, id, (draft) => draft.status === 'evaluated', 'evaluation');
      const evaluations = evaluated.evaluations as Json[];
      t.is(evaluations.length, 1);
      t.like(evaluations[0], { metricVersion: 1, finalNoteRevision: noted.body.revision });
    }
    // The first DFN had nothing to learn from; the third learnt from the two pairs before it.
    const first = (await call('GET', `/v1/drafts/${ids[0]}`)).body;
    t.deepEqual(first.dfn.retrieved, []);
    const third = (await call('GET', `/v1/drafts/${ids[2]}`)).body;
    t.deepEqual([...third.dfn.retrieved].sort(), [ids[0], ids[1]].sort(), 'retrieved the speaker\'s two earlier pairs');
    const thirdEvaluation = third.evaluations[0];
    t.true(thirdEvaluation.raw.wer > 0, `the raw draft differs from the final note (WER ${thirdEvaluation.raw.wer})`);
    t.true(thirdEvaluation.dfn.wer < thirdEvaluation.raw.wer, `the DFN came closer than the raw draft (${thirdEvaluation.dfn.wer} < ${thirdEvaluation.raw.wer})`);
    t.true(Math.abs(thirdEvaluation.improvement - (thirdEvaluation.raw.wer - thirdEvaluation.dfn.wer)) < 1e-9);

    // A fourth draft learns from all three pairs (the DFN enricher waits for retrieval to cover the draft's
    // ingestion, so the pairs finalised before it are there), and is cleaned of the habits altogether.
    const fourth = await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { externalId: `flow-${uuidv7()}`, text: 'um the patient is stable period' } }).then(t, { status: 201 });
    const fourthDfn = (await draftWhen(t, fourth.body.id as string, hasDfn, 'fourth DFN')).dfn as Json;
    t.is(fourthDfn.text, 'The patient is stable.');
    t.deepEqual([...(fourthDfn.retrieved as string[])].sort(), [...ids].sort());

    // Read once the last evaluation has reached every read model.
    const positions = (await collect(chorus().system.store.readStream(draftStreamId(ids[2]!)))).map((event) => event.position);
    const settled = { headers: { 'X-Chorus-Min-Position': positions.at(-1)! } };
    const evaluations = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/drafts/${id}`, settled)).body.evaluations[0]));
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const dashboard = await when('GET', `/v1/drafts/dashboard?from=${today}&to=${today}`, settled).then(t, { status: 200 });
    t.like(dashboard.body, { totals: { drafts: 4, evaluatedDrafts: 3 } });
    t.true(Math.abs(dashboard.body.totals.rawWer.mean - mean(evaluations.map((e) => e.raw.wer))) < 1e-9);
    t.true(Math.abs(dashboard.body.totals.dfnWer.mean - mean(evaluations.map((e) => e.dfn.wer))) < 1e-9);
    const ofSpeaker = await when('GET', `/v1/speakers/${speakerId}`, settled).then(t, { status: 200 });
    t.like(ofSpeaker.body.aggregates, { drafts: 4, evaluatedDrafts: 3 });
    t.true(Math.abs(ofSpeaker.body.aggregates.meanRawWer - mean(evaluations.map((e) => e.raw.wer))) < 1e-9);
  });

  if (profile.kafka) {
    it('a DraftIngested delivered again (an operator replays the draft stream to Kafka) generates no second DFN', async (t) => {
      const speaker = await when('POST', '/v1/speakers', { json: { name: 'Dr Again' } }).then(t, { status: 201 });
      const ingested = await when('POST', `/v1/speakers/${speaker.body.id}/drafts`, { json: { externalId: `again-${uuidv7()}`, text: 'um patient is well period' } }).then(t, { status: 201 });
      const id = ingested.body.id as string;
      await draftWhen(t, id, hasDfn, 'DFN');
      const replay = await when('POST', '/v1/ops/replays', { as: ['operator'], json: { target: 'kafka', streams: [draftStreamId(id)] } }).then(t, { status: 202 });
      for (let attempt = 0; attempt < 300; attempt++) {
        const view = await call('GET', `/v1/ops/replays/${replay.body.id}`, { as: ['operator'] });
        if (view.body.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The DFN enricher's group has read everything on the topic, the replayed message too.
      const { kafka, topology } = chorus().system;
      const groupId = topology.groupIdOf(DRAFTS_DFN);
      let lag = -1;
      for (let attempt = 0; attempt < 300 && lag !== 0; attempt++) {
        lag = await withAdmin(kafka!, (admin) => consumerGroupLag(admin, groupId, [topology.topicOf('draft')!]));
        if (lag !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      t.is(lag, 0, 'the DFN enricher read the replayed event');
      const stream = await collect(chorus().system.store.readStream(draftStreamId(id)));
      t.is(stream.filter((event) => event.type === 'DfnGenerated').length, 1);
    });
  }
}
