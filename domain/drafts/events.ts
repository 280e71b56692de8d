// Drafts: speakers (clinicians who dictate), the raw drafts a speech recogniser makes of their dictations, the draft
// final notes (DFN) the AI generates from them, the final notes humans write, and the evaluations of how close the
// DFN came. One stream per speaker, one per draft; an externalId is claimed in a stream of its own, so that its
// uniqueness is the store's optimistic concurrency (as identity does for emails).
import type { Event } from '../kernel/decider.js';

export const BUCKETS = ['no_edit', 'low_edit', 'medium_edit', 'high_edit'] as const;
export type Bucket = (typeof BUCKETS)[number];

export const DRAFT_TEXT_MAX_LENGTH = 100_000;
export const SPEAKER_NAME_MAX_LENGTH = 200;

export const speakerStreamId = (speakerId: string): string => `speaker-${speakerId}`;
export const draftStreamId = (draftId: string): string => `draft-${draftId}`;
/** Claims a speaker's externalId: its first event names the speaker that holds it. */
export const speakerExternalIdStreamId = (externalId: string): string => `speakerexternalid-${externalId}`;
/** Claims a draft's externalId within its speaker: its first event names the draft. */
export const draftExternalIdStreamId = (speakerId: string, externalId: string): string => `draftexternalid-${speakerId}:${externalId}`;

export type SpeakerCreated = Event<
  'SpeakerCreated',
  { speakerId: string; name: string; externalId: string | null; specialty: string | null; bucket: Bucket; createdBy: string; createdAt: string }
>;
export type SpeakerReassigned = Event<'SpeakerReassigned', { speakerId: string; from: Bucket; to: Bucket; reason: string; by: string; at: string }>;
/** Appended by the system after an evaluation; an operator accepts it with a reassignment. */
export type SpeakerBucketRecommended = Event<
  'SpeakerBucketRecommended',
  { speakerId: string; from: Bucket; to: Bucket; meanRawWer: number; window: number; evaluationIds: readonly string[]; at: string }
>;

/** In the claim streams: who holds the externalId. */
export type ExternalIdClaimed = Event<'ExternalIdClaimed', { externalId: string; ownerId: string; at: string }>;

export type DraftIngested = Event<
  'DraftIngested',
  {
    draftId: string;
    speakerId: string;
    externalId: string;
    text: string;
    /** sha-256 of the text, hex: a second ingestion of the externalId is the same draft only with the same text. */
    textHash: string;
    recordedAt: string | null;
    metadata: Readonly<Record<string, unknown>> | null;
    ingestedAt: string;
  }
>;

/** Appended by the DFN enricher. `retrieved`: the ids of the drafts whose (draft, final note) pairs it learned from. */
export type DfnGenerated = Event<
  'DfnGenerated',
  { draftId: string; speakerId: string; text: string; provider: string; model: string; retrieved: readonly string[]; latencyMs: number; generatedAt: string }
>;

/** A second final note replaces the first (and is evaluated again; the earlier evaluations stay). */
export type FinalNoteRecorded = Event<'FinalNoteRecorded', { draftId: string; speakerId: string; text: string; recordedBy: string; recordedAt: string }>;

export type EditCounts = Readonly<{ substitutions: number; deletions: number; insertions: number; reference: number }>;

/** Appended by the evaluator once a draft has a DFN and a final note, for each final note. */
export type EvaluationCompleted = Event<
  'EvaluationCompleted',
  {
    evaluationId: string;
    draftId: string;
    speakerId: string;
    /** The speaker's bucket when evaluated (the dashboard groups by it). */
    bucket: Bucket;
    /** Which final note (the draft stream's revision of its FinalNoteRecorded) and DFN were compared. */
    finalNoteRevision: number;
    rawWer: number;
    rawCer: number;
    rawEdits: EditCounts;
    dfnWer: number;
    dfnCer: number;
    dfnEdits: EditCounts;
    dfnRougeL: number;
    /** rawWer - dfnWer: how much the DFN improved on the raw draft. */
    improvement: number;
    metricVersion: number;
    evaluatedAt: string;
  }
>;

export type SpeakerEvent = SpeakerCreated | SpeakerReassigned | SpeakerBucketRecommended;
export type DraftEvent = DraftIngested | DfnGenerated | FinalNoteRecorded | EvaluationCompleted;
export type DraftsEvent = SpeakerEvent | DraftEvent | ExternalIdClaimed;

export const SPEAKER_EVENT_TYPES: readonly SpeakerEvent['type'][] = ['SpeakerCreated', 'SpeakerReassigned', 'SpeakerBucketRecommended'];
export const DRAFT_EVENT_TYPES: readonly DraftEvent['type'][] = ['DraftIngested', 'DfnGenerated', 'FinalNoteRecorded', 'EvaluationCompleted'];
