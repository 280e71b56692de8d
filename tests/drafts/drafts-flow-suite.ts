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

  it('speaker → draft → DFN → final note → evaluation → dashboard and the speaker aggregates', async (t) => {
    const speaker = await when('POST', '/v1/speakers', { json: { name: 'Dr Flow', specialty: 'cardiology' } }).then(t, { status: 201 });
    const speakerId = speaker.body.id as string;
    const today = new Date().toISOString().slice(0, 10);
    const raw = 'um history the patient reports chest pain period new paragraph assessment stable angina period';
    const ingested = await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { externalId: `flow-${uuidv7()}`, text: raw } }).then(t, { status: 201 });
    const id = ingested.body.id as string;

    const withDfn = await draftWhen(t, id, (draft) => draft.dfn !== null && draft.dfn !== undefined, 'DFN');
    const dfn = withDfn.dfn as Json;
    t.is(dfn.provider, 'local');
    t.is(typeof dfn.text, 'string');
    t.true((dfn.text as string).length > 0);
    t.false((dfn.text as string).toLowerCase().includes('um '), 'the filler is gone');

    const finalNote = 'HISTORY: The patient reports chest pain.\n\nASSESSMENT: Stable angina.';
    await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: finalNote } }).then(t, { status: 200 });
    const evaluated = await draftWhen(t, id, (draft) => draft.status === 'evaluated', 'evaluation');
    const evaluations = evaluated.evaluations as Json[];
    t.is(evaluations.length, 1);
    const evaluation = evaluations[0]!;
    t.like(evaluation, { metricVersion: 1 });
    const rawWer = (evaluation.raw as Json).wer as number;
    const dfnWer = (evaluation.dfn as Json).wer as number;
    t.true(rawWer > 0, `the raw draft differs from the final note (WER ${rawWer})`);
    t.true(dfnWer < rawWer, `the DFN came closer than the raw draft (${dfnWer} < ${rawWer})`);
    t.true(Math.abs((evaluation.improvement as number) - (rawWer - dfnWer)) < 1e-9);

    // Read once the evaluation has reached every read model.
    const positions = (await collect(chorus().system.store.readStream(draftStreamId(id)))).map((event) => event.position);
    const settled = { headers: { 'X-Chorus-Min-Position': positions.at(-1)! } };
    const dashboard = await when('GET', `/v1/drafts/dashboard?from=${today}&to=${today}`, settled).then(t, { status: 200 });
    t.like(dashboard.body, { totals: { drafts: 1, evaluatedDrafts: 1 } });
    t.true(Math.abs((dashboard.body.totals.rawWer.mean as number) - rawWer) < 1e-9);
    t.true(Math.abs((dashboard.body.totals.dfnWer.mean as number) - dfnWer) < 1e-9);
    const ofSpeaker = await when('GET', `/v1/speakers/${speakerId}`, settled).then(t, { status: 200 });
    t.like(ofSpeaker.body.aggregates, { drafts: 1, evaluatedDrafts: 1 });
    t.true(Math.abs((ofSpeaker.body.aggregates.meanRawWer as number) - rawWer) < 1e-9);

    // A second draft of the speaker learns from the first pair.
    const second = await when('POST', `/v1/speakers/${speakerId}/drafts`, {
      json: { externalId: `flow-${uuidv7()}`, text: 'um history the patient reports shortness of breath period' },
    }).then(t, { status: 201 });
    const secondDfn = (await draftWhen(t, second.body.id as string, (draft) => draft.dfn !== null && draft.dfn !== undefined, 'second DFN')).dfn as Json;
    t.deepEqual(secondDfn.retrieved, [id], 'retrieved the speaker\'s own earlier pair');
  });

  if (profile.kafka) {
    it('a DraftIngested delivered again (an operator replays the draft stream to Kafka) generates no second DFN', async (t) => {
      const speaker = await when('POST', '/v1/speakers', { json: { name: 'Dr Again' } }).then(t, { status: 201 });
      const ingested = await when('POST', `/v1/speakers/${speaker.body.id}/drafts`, { json: { externalId: `again-${uuidv7()}`, text: 'um patient is well period' } }).then(t, { status: 201 });
      const id = ingested.body.id as string;
      await draftWhen(t, id, (draft) => draft.dfn !== null && draft.dfn !== undefined, 'DFN');
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
