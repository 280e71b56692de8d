// Speaker handlers: load → decide → append. A speaker's externalId is unique through its claim stream (see
// external-id-claims): two concurrent creations with one externalId end in one 201 and one 409.
import { speakerDecider, type CreateSpeaker, type ReassignSpeaker } from '../../domain/drafts/speaker-commands.js';
import { speakerExternalIdStreamId, speakerStreamId, type Bucket } from '../../domain/drafts/events.js';
import type { Speaker } from '../../domain/drafts/speaker.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';
import { claimExternalId } from './external-id-claims.js';

export type CreateSpeakerInput = Readonly<{ name: string; externalId: string | null; specialty: string | null; bucket: Bucket | null }>;

export type DraftsCommandResult = CommandResult & Readonly<{ id: string }>;

export async function createSpeaker(deps: CommandDependencies, input: CreateSpeakerInput, context: CommandContext): Promise<DraftsCommandResult> {
  const candidateId = deps.ids.next();
  const speakerId = input.externalId === null ? candidateId : await claimExternalId(deps, speakerExternalIdStreamId(input.externalId), input.externalId, candidateId, context);
  const result = await handleCommand(
    deps,
    speakerDecider,
    speakerStreamId(speakerId),
    (now): CreateSpeaker => ({ type: 'CreateSpeaker', data: { speakerId, ...input, createdBy: context.actor.sub }, metadata: { now } }),
    { ...context, newStream: speakerId === candidateId },
  );
  return { ...result, id: speakerId };
}

export async function reassignSpeaker(
  deps: CommandDependencies,
  speakerId: string,
  input: Readonly<{ bucket: Bucket; reason: string }>,
  context: CommandContext,
): Promise<DraftsCommandResult> {
  const result = await handleCommand(
    deps,
    speakerDecider,
    speakerStreamId(speakerId),
    (now): ReassignSpeaker => ({ type: 'ReassignSpeaker', data: { speakerId, bucket: input.bucket, reason: input.reason, by: context.actor.sub }, metadata: { now } }),
    context,
  );
  return { ...result, id: speakerId };
}

export async function loadSpeaker(store: EventStore, speakerId: string): Promise<Speaker> {
  return (await foldStream(store, speakerDecider, speakerStreamId(speakerId))).state;
}

/** The speaker, from its stream (not a read model: a draft must never be ingested for a speaker that does not exist). */
export async function existingSpeaker(store: EventStore, speakerId: string): Promise<Extract<Speaker, { status: 'active' }>> {
  const speaker = await loadSpeaker(store, speakerId);
  if (speaker.status === 'initial') throw new NotFound('SPEAKER.NOT_FOUND', `Speaker ${speakerId} does not exist`);
  return speaker;
}
