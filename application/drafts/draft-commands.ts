// Draft handlers. Ingestion claims the externalId within its speaker (its claim stream names the draft), then
// appends DraftIngested to that draft's stream with no_stream: the same externalId again, at once or later, lands
// on the same draft, and answers as the first ingestion did (201, the same body) or 409 for other text.
import { assertText, draftDecider, type IngestDraft, type RecordFinalNote } from '../../domain/drafts/draft-commands.js';
import { draftExternalIdStreamId, draftStreamId } from '../../domain/drafts/events.js';
import { IllegalState } from '../../domain/kernel/errors.js';
import { sha256Hex } from '../identity/identity-secrets.js';
import { handleCommand, type CommandContext, type CommandDependencies } from '../kernel/handle-command.js';
import { claimExternalId } from './external-id-claims.js';
import { existingSpeaker, type DraftsCommandResult } from './speaker-commands.js';

export type IngestDraftInput = Readonly<{
  externalId: string;
  text: string;
  recordedAt: string | null;
  metadata: Readonly<Record<string, unknown>> | null;
}>;

export async function ingestDraft(deps: CommandDependencies, speakerId: string, input: IngestDraftInput, context: CommandContext): Promise<DraftsCommandResult> {
  // Before the claim: a refused draft should not claim its externalId.
  assertText(input.text, 'body.text');
  await existingSpeaker(deps.store, speakerId);
  const candidateId = deps.ids.next();
  const draftId = await claimExternalId(deps, draftExternalIdStreamId(speakerId, input.externalId), input.externalId, candidateId, context);
  const streamId = draftStreamId(draftId);
  const result = await handleCommand(
    deps,
    draftDecider,
    streamId,
    (now): IngestDraft => ({
      type: 'IngestDraft',
      data: { draftId, speakerId, externalId: input.externalId, text: input.text, textHash: sha256Hex(input.text), recordedAt: input.recordedAt, metadata: input.metadata },
      metadata: { now },
    }),
    { ...context, newStream: draftId === candidateId },
  );
  if (result.events.length > 0) return { ...result, id: draftId };
  // Ingested before, with the same text: the first ingestion's answer, which its DraftIngested (revision 0) holds.
  for await (const first of deps.store.readStream(streamId, { from: 0 })) {
    return { streamId, revision: first.revision, position: first.position, id: draftId };
  }
  throw new IllegalState('DRAFT.NOT_INGESTED', `Draft ${draftId} decided nothing yet holds no events`);
}

export async function recordFinalNote(deps: CommandDependencies, draftId: string, text: string, context: CommandContext): Promise<DraftsCommandResult> {
  const result = await handleCommand(
    deps,
    draftDecider,
    draftStreamId(draftId),
    (now): RecordFinalNote => ({ type: 'RecordFinalNote', data: { draftId, text, recordedBy: context.actor.sub }, metadata: { now } }),
    context,
  );
  return { ...result, id: draftId };
}
