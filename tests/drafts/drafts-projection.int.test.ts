// The drafts read model: given recorded events (DFNs and evaluations as the enrichers append them), its rows, and
// the same rows when the events are applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import {
  draftStreamId,
  speakerStreamId,
  type DfnGenerated,
  type DraftIngested,
  type EvaluationCompleted,
  type FinalNoteRecorded,
  type SpeakerBucketRecommended,
  type SpeakerCreated,
  type SpeakerReassigned,
} from '../../domain/drafts/events.js';
import { draftsProjection } from '../../projections/drafts/drafts-projection.js';
import { ProjectionSpecification, recordedEventLog, type RecordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(draftsProjection, {
  speakers: ['id'],
  speaker_bucket_history: ['speaker_id', 'revision'],
  drafts: ['id'],
  draft_evaluations: ['evaluation_id'],
});

const at = (minute: number): string => new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString();
const edits = { substitutions: 1, deletions: 0, insertions: 2, reference: 10 };

function speaker(log: RecordedEventLog, id = uuidv7()) {
  const stream = speakerStreamId(id);
  return {
    id,
    created: () =>
      log.record(stream, { type: 'SpeakerCreated', data: { speakerId: id, name: 'Dr Ada', externalId: 'ext-1', specialty: 'cardiology', bucket: 'high_edit', createdBy: 'op', createdAt: at(0) } } satisfies SpeakerCreated),
    reassigned: (from: 'high_edit' | 'low_edit', to: 'high_edit' | 'low_edit', minute: number) =>
      log.record(stream, { type: 'SpeakerReassigned', data: { speakerId: id, from, to, reason: 'better', by: 'op', at: at(minute) } } satisfies SpeakerReassigned),
    recommended: () =>
      log.record(stream, {
        type: 'SpeakerBucketRecommended',
        data: { speakerId: id, from: 'high_edit', to: 'low_edit', meanRawWer: 0.12, window: 20, evaluationIds: ['e-1'], at: at(30) },
      } satisfies SpeakerBucketRecommended),
  };
}

function draft(log: RecordedEventLog, speakerId: string, id = uuidv7()) {
  const stream = draftStreamId(id);
  return {
    id,
    ingested: (minute = 1) =>
      log.record(stream, {
        type: 'DraftIngested',
        data: { draftId: id, speakerId, externalId: `d-${id}`, text: 'patient is well period', textHash: 'h', recordedAt: null, metadata: { room: 3 }, ingestedAt: at(minute) },
      } satisfies DraftIngested),
    dfn: (minute = 2) =>
      log.record(stream, {
        type: 'DfnGenerated',
        data: { draftId: id, speakerId, text: 'Patient is well.', provider: 'local', model: 'corrections-v1', retrieved: ['x'], latencyMs: 12.4, generatedAt: at(minute) },
      } satisfies DfnGenerated),
    finalNote: (text: string, minute: number) =>
      log.record(stream, { type: 'FinalNoteRecorded', data: { draftId: id, speakerId, text, recordedBy: 'agent', recordedAt: at(minute) } } satisfies FinalNoteRecorded),
    evaluated: (evaluationId: string, finalNoteRevision: number, rawWer: number, dfnWer: number, minute: number) =>
      log.record(stream, {
        type: 'EvaluationCompleted',
        data: {
          evaluationId, draftId: id, speakerId, bucket: 'high_edit', finalNoteRevision, rawWer, rawCer: rawWer / 2, rawEdits: edits, dfnWer, dfnCer: dfnWer / 2,
          dfnEdits: edits, dfnRougeL: 0.9, improvement: rawWer - dfnWer, metricVersion: 1, evaluatedAt: at(minute),
        },
      } satisfies EvaluationCompleted),
  };
}

test('a speaker, its reassignment and recommendation: the row, the history, the pending recommendation', async (t) => {
  const log = recordedEventLog();
  const ada = speaker(log);
  const history = [ada.created(), ada.reassigned('high_edit', 'low_edit', 5)];
  await spec.given(history).when([ada.recommended()]).then(t, {
    speakers: [
      {
        id: ada.id, name: 'Dr Ada', external_id: 'ext-1', specialty: 'cardiology', bucket: 'low_edit', created_by: 'op', created_at: new Date(at(0)),
        pending_recommendation: { from: 'high_edit', to: 'low_edit', meanRawWer: 0.12, window: 20, evaluationIds: ['e-1'], at: at(30) },
        revision: 2, drafts: 0, evaluated_drafts: 0, mean_raw_wer: null, mean_dfn_wer: null, mean_improvement: null, last_activity_at: null,
      },
    ],
    speaker_bucket_history: [
      { speaker_id: ada.id, revision: 0, from_bucket: null, to_bucket: 'high_edit', reason: null, by: 'op', at: new Date(at(0)) },
      { speaker_id: ada.id, revision: 1, from_bucket: 'high_edit', to_bucket: 'low_edit', reason: 'better', by: 'op', at: new Date(at(5)) },
    ],
  });
});

test('a reassignment clears the pending recommendation', async (t) => {
  const log = recordedEventLog();
  const ada = speaker(log);
  await spec.given([ada.created(), ada.recommended()]).when([ada.reassigned('high_edit', 'low_edit', 40)]).then(t, {
    speakers: [
      {
        id: ada.id, name: 'Dr Ada', external_id: 'ext-1', specialty: 'cardiology', bucket: 'low_edit', created_by: 'op', created_at: new Date(at(0)),
        pending_recommendation: null, revision: 2, drafts: 0, evaluated_drafts: 0, mean_raw_wer: null, mean_dfn_wer: null, mean_improvement: null, last_activity_at: null,
      },
    ],
  });
});

test('a draft through DFN, final note, evaluation, a second final note and its evaluation; the speaker\'s aggregates', async (t) => {
  const log = recordedEventLog();
  const ada = speaker(log);
  const first = draft(log, ada.id);
  const second = draft(log, ada.id);
  // The drafts come before their speaker, as Kafka may deliver them; the aggregates come out all the same.
  const history = [first.ingested(), first.dfn(), first.finalNote('Patient is well.', 3), first.evaluated('e-1', 2, 0.5, 0.25, 4), second.ingested(6)];
  const later = [ada.created(), first.finalNote('Patient is very well.', 7), first.evaluated('e-2', 5, 0.6, 0.2, 8), second.finalNote('Fine.', 9)];
  await spec.given(history).when(later).then(t, {
    drafts: [
      {
        id: first.id, speaker_id: ada.id, external_id: `d-${first.id}`, text: 'patient is well period', text_hash: 'h', recorded_at: null, metadata: { room: 3 },
        ingested_at: new Date(at(1)), dfn_text: 'Patient is well.', dfn_provider: 'local', dfn_model: 'corrections-v1', dfn_retrieved: ['x'], dfn_latency_ms: 12,
        dfn_generated_at: new Date(at(2)), final_note_text: 'Patient is very well.', final_note_revision: 4, final_note_recorded_by: 'agent',
        final_note_recorded_at: new Date(at(7)), final_notes: 2, status: 'finalized', last_evaluation_id: 'e-2', last_raw_wer: 0.6, last_dfn_wer: 0.2,
        last_improvement: 0.6 - 0.2, last_evaluated_at: new Date(at(8)), last_activity_at: new Date(at(8)), revision: 5,
      },
      {
        id: second.id, speaker_id: ada.id, external_id: `d-${second.id}`, text: 'patient is well period', text_hash: 'h', recorded_at: null, metadata: { room: 3 },
        ingested_at: new Date(at(6)), dfn_text: null, dfn_provider: null, dfn_model: null, dfn_retrieved: null, dfn_latency_ms: null, dfn_generated_at: null,
        final_note_text: 'Fine.', final_note_revision: 1, final_note_recorded_by: 'agent', final_note_recorded_at: new Date(at(9)), final_notes: 1, status: 'finalized',
        last_evaluation_id: null, last_raw_wer: null, last_dfn_wer: null, last_improvement: null, last_evaluated_at: null, last_activity_at: new Date(at(9)), revision: 1,
      },
    ],
    speakers: [
      {
        id: ada.id, name: 'Dr Ada', external_id: 'ext-1', specialty: 'cardiology', bucket: 'high_edit', created_by: 'op', created_at: new Date(at(0)),
        pending_recommendation: null, revision: 0, drafts: 2, evaluated_drafts: 1, mean_raw_wer: 0.6, mean_dfn_wer: 0.2, mean_improvement: 0.6 - 0.2,
        last_activity_at: new Date(at(9)),
      },
    ],
  });
});

test('each evaluation is a row; an evaluation of the current final note makes the draft evaluated', async (t) => {
  const log = recordedEventLog();
  const ada = speaker(log);
  const one = draft(log, ada.id);
  const events = [ada.created(), one.ingested(), one.finalNote('Well.', 2), one.dfn(3), one.evaluated('e-1', 1, 0.5, 0.25, 4), one.finalNote('Unwell.', 5), one.evaluated('e-2', 4, 0.4, 0.1, 6)];
  await spec.given(events).then(t, {
    draft_evaluations: [
      {
        evaluation_id: 'e-1', draft_id: one.id, speaker_id: ada.id, bucket: 'high_edit', final_note_revision: 1, raw_wer: 0.5, raw_cer: 0.25, raw_edits: edits,
        dfn_wer: 0.25, dfn_cer: 0.125, dfn_edits: edits, dfn_rouge_l: 0.9, improvement: 0.25, metric_version: 1, evaluated_at: new Date(at(4)), revision: 3,
      },
      {
        evaluation_id: 'e-2', draft_id: one.id, speaker_id: ada.id, bucket: 'high_edit', final_note_revision: 4, raw_wer: 0.4, raw_cer: 0.2, raw_edits: edits,
        dfn_wer: 0.1, dfn_cer: 0.05, dfn_edits: edits, dfn_rouge_l: 0.9, improvement: 0.4 - 0.1, metric_version: 1, evaluated_at: new Date(at(6)), revision: 5,
      },
    ],
  });
});
