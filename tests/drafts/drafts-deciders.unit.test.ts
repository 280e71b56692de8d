// The drafts deciders, given / when / then: speakers, externalId claims and drafts; and the draft row's statuses.
import test from 'ava';
import { draftDecider, type IngestDraft, type RecordFinalNote } from '../../domain/drafts/draft-commands.js';
import { codePointLength, isTooLong } from '../../domain/drafts/draft.js';
import { DRAFT_TEXT_MAX_LENGTH, type DraftEvent, type ExternalIdClaimed, type SpeakerEvent } from '../../domain/drafts/events.js';
import { externalIdClaimDecider, type ClaimExternalId } from '../../domain/drafts/external-id-claim.js';
import { speakerDecider, type CreateSpeaker, type ReassignSpeaker } from '../../domain/drafts/speaker-commands.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { evolveDraft, type DraftRow } from '../../projections/drafts/drafts-rows.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { metadata as testMetadata } from '../support/events.js';

const speakers = DeciderSpecification(speakerDecider);
const claims = DeciderSpecification(externalIdClaimDecider);
const drafts = DeciderSpecification(draftDecider);

const speakerId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const draftId = '01a2041a-9df6-7589-a81b-c0ffee000001';
const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();

const create = (overrides: Partial<CreateSpeaker['data']> = {}): CreateSpeaker => ({
  type: 'CreateSpeaker',
  data: { speakerId, name: '  Dr Ada  ', externalId: 'ext-1', specialty: ' cardiology ', bucket: null, createdBy: 'op', ...overrides },
  metadata: { now },
});
const created: SpeakerEvent = {
  type: 'SpeakerCreated',
  data: { speakerId, name: 'Dr Ada', externalId: 'ext-1', specialty: 'cardiology', bucket: 'high_edit', createdBy: 'op', createdAt: at },
};
const reassign = (bucket: ReassignSpeaker['data']['bucket'], reason = 'fewer edits'): ReassignSpeaker => ({ type: 'ReassignSpeaker', data: { speakerId, bucket, reason, by: 'op' }, metadata: { now } });

test('a new speaker goes to high_edit unless told, with its name and specialty trimmed', (t) => {
  speakers.given([]).when(create()).then(t, [created]);
  speakers.given([]).when(create({ bucket: 'no_edit', specialty: '   ' })).then(t, [{ type: 'SpeakerCreated', data: { ...created.data, bucket: 'no_edit', specialty: null } } as SpeakerEvent]);
});

test('a speaker\'s name is 1 to 200 characters once trimmed', (t) => {
  speakers.given([]).when(create({ name: '   ' })).thenThrows(t, 'SPEAKER.INVALID_NAME');
  speakers.given([]).when(create({ name: 'x'.repeat(201) })).thenThrows(t, 'SPEAKER.INVALID_NAME');
  speakers.given([]).when(create({ specialty: 'y'.repeat(101) })).thenThrows(t, 'SPEAKER.INVALID_SPECIALTY');
});

test('creating a speaker that exists (its externalId claimed by it) is a conflict', (t) => {
  speakers.given([created]).when(create({ name: 'Other' })).thenThrows(t, 'SPEAKER.EXTERNAL_ID_TAKEN');
});

test('a reassignment says from, to, why and who; to the same bucket it is refused; an unknown speaker is not found', (t) => {
  speakers.given([created]).when(reassign('low_edit', ' fewer edits ')).then(t, [{ type: 'SpeakerReassigned', data: { speakerId, from: 'high_edit', to: 'low_edit', reason: 'fewer edits', by: 'op', at } }]);
  speakers.given([created]).when(reassign('high_edit')).thenThrows(t, 'SPEAKER.SAME_BUCKET');
  speakers.given([created]).when(reassign('low_edit', '  ')).thenThrows(t, 'SPEAKER.INVALID_REASON');
  speakers.given([]).when(reassign('low_edit')).thenThrows(t, 'SPEAKER.NOT_FOUND');
});

test('a recommendation moves no speaker: the next reassignment starts from the bucket it is in', (t) => {
  const moved: SpeakerEvent = { type: 'SpeakerReassigned', data: { speakerId, from: 'high_edit', to: 'medium_edit', reason: 'x', by: 'op', at } };
  const recommended: SpeakerEvent = { type: 'SpeakerBucketRecommended', data: { speakerId, from: 'medium_edit', to: 'no_edit', meanRawWer: 0.01, window: 20, evaluationIds: [], at } };
  speakers.given([created, moved, recommended]).when(reassign('no_edit', 'accepted')).then(t, [
    { type: 'SpeakerReassigned', data: { speakerId, from: 'medium_edit', to: 'no_edit', reason: 'accepted', by: 'op', at } },
  ]);
  speakers.given([created, moved, recommended]).when(reassign('medium_edit')).thenThrows(t, 'SPEAKER.SAME_BUCKET');
});

const claim = (ownerId: string): ClaimExternalId => ({ type: 'ClaimExternalId', data: { externalId: 'ext-1', ownerId }, metadata: { now } });
const claimed = (ownerId: string): ExternalIdClaimed => ({ type: 'ExternalIdClaimed', data: { externalId: 'ext-1', ownerId, at } });

test('a free externalId is claimed; a claimed one decides nothing, whoever asks', (t) => {
  claims.given([]).when(claim('a')).then(t, [claimed('a')]);
  claims.given([claimed('a')]).when(claim('b')).then(t, []);
  claims.given([claimed('a')]).when(claim('a')).then(t, []);
  t.deepEqual([claimed('a'), claimed('b')].reduce(externalIdClaimDecider.evolve, externalIdClaimDecider.initialState()), { status: 'claimed', externalId: 'ext-1', ownerId: 'a', at });
});

const ingest = (overrides: Partial<IngestDraft['data']> = {}): IngestDraft => ({
  type: 'IngestDraft',
  data: { draftId, speakerId, externalId: 'd-1', text: 'um patient is well period', textHash: 'hash-1', recordedAt: null, metadata: { room: 1 }, ...overrides },
  metadata: { now },
});
const ingested: DraftEvent = {
  type: 'DraftIngested',
  data: { draftId, speakerId, externalId: 'd-1', text: 'um patient is well period', textHash: 'hash-1', recordedAt: null, metadata: { room: 1 }, ingestedAt: at },
};
const finalNote = (text: string): RecordFinalNote => ({ type: 'RecordFinalNote', data: { draftId, text, recordedBy: 'agent' }, metadata: { now } });
const noted = (text: string): DraftEvent => ({ type: 'FinalNoteRecorded', data: { draftId, speakerId, text, recordedBy: 'agent', recordedAt: at } });
const dfn: DraftEvent = { type: 'DfnGenerated', data: { draftId, speakerId, text: 'Patient is well.', provider: 'local', model: 'm', retrieved: [], latencyMs: 1, generatedAt: at } };

test('a draft is ingested once: the same text again decides nothing, other text is a conflict', (t) => {
  drafts.given([]).when(ingest()).then(t, [ingested]);
  drafts.given([ingested]).when(ingest({ recordedAt: '2026-01-01T00:00:00.000Z' })).then(t, []);
  drafts.given([ingested]).when(ingest({ text: 'other', textHash: 'hash-2' })).thenThrows(t, 'DRAFT.EXTERNAL_ID_CONFLICT');
});

test('a draft\'s text is not blank and at most 100k code points, whatever their UTF-16 length', (t) => {
  drafts.given([]).when(ingest({ text: ' \n ' })).thenThrows(t, 'DRAFT.EMPTY_TEXT');
  drafts.given([]).when(ingest({ text: 'x'.repeat(DRAFT_TEXT_MAX_LENGTH + 1) })).thenThrows(t, 'DRAFT.TEXT_TOO_LONG');
  const emoji = '😀'.repeat(DRAFT_TEXT_MAX_LENGTH);
  t.is(emoji.length, 2 * DRAFT_TEXT_MAX_LENGTH);
  t.is(codePointLength(emoji), DRAFT_TEXT_MAX_LENGTH);
  t.false(isTooLong(emoji));
  t.true(isTooLong(`${emoji}a`));
  t.is(codePointLength('e\u0301\ud800'), 3, 'a combining mark and a lone surrogate count as one each');
});

test('a final note comes before or after the DFN; a new one replaces it; the same text again decides nothing', (t) => {
  drafts.given([ingested]).when(finalNote('Patient is well.')).then(t, [noted('Patient is well.')]);
  drafts.given([ingested, dfn, noted('Patient is well.')]).when(finalNote('Patient is very well.')).then(t, [noted('Patient is very well.')]);
  drafts.given([ingested, noted('Patient is well.'), dfn]).when(finalNote('Patient is well.')).then(t, []);
  drafts.given([]).when(finalNote('x')).thenThrows(t, 'DRAFT.NOT_FOUND');
  drafts.given([ingested]).when(finalNote('\t')).thenThrows(t, 'DRAFT.EMPTY_TEXT');
});

test('a draft row\'s status: ingested, dfn_generated, finalized until the current final note is evaluated, then evaluated', (t) => {
  let revision = 0;
  const recorded = (event: DraftEvent): RecordedEvent => ({ eventId: `e-${revision}`, type: event.type, data: event.data, streamId: `draft-${draftId}`, revision: revision++, position: String(revision), metadata: testMetadata });
  const evaluation = (evaluationId: string, finalNoteRevision: number): DraftEvent => ({
    type: 'EvaluationCompleted',
    data: {
      evaluationId, draftId, speakerId, bucket: 'high_edit', finalNoteRevision, rawWer: 0.5, rawCer: 0.2, rawEdits: { substitutions: 0, deletions: 0, insertions: 0, reference: 1 },
      dfnWer: 0.1, dfnCer: 0.1, dfnEdits: { substitutions: 0, deletions: 0, insertions: 0, reference: 1 }, dfnRougeL: 1, improvement: 0.4, metricVersion: 1, evaluatedAt: at,
    },
  });
  const statuses: string[] = [];
  let row: DraftRow | null = null;
  for (const event of [ingested, dfn, noted('a'), evaluation('e1', 2), noted('b'), evaluation('e-late', 2), evaluation('e2', 4)]) {
    row = evolveDraft(row, recorded(event));
    statuses.push(row!.status);
  }
  t.deepEqual(statuses, ['ingested', 'dfn_generated', 'finalized', 'evaluated', 'finalized', 'finalized', 'evaluated']);
  t.is(evolveDraft(row, { ...recorded(dfn), revision: 1 }), row, 'an event applied already changes nothing');
});
