// Claiming an externalId for a new speaker or draft: the claim stream's no_stream append decides who owns it. The
// loser of a race (or a later request) learns the owner's id and goes on with it: the owner's own stream, appended
// with no_stream too, then says whether the owner exists (a duplicate) or not yet (its claimant died or is still
// on its way: the request creates it, and whichever append lands first wins).
import { externalIdClaimDecider, type ClaimExternalId } from '../../domain/drafts/external-id-claim.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies } from '../kernel/handle-command.js';

/** The owner's id: `candidateId` when this request claimed it, the earlier claimant's otherwise. */
export async function claimExternalId(deps: CommandDependencies, streamId: string, externalId: string, candidateId: string, context: CommandContext): Promise<string> {
  const claimed = await handleCommand(
    deps,
    externalIdClaimDecider,
    streamId,
    (now): ClaimExternalId => ({ type: 'ClaimExternalId', data: { externalId, ownerId: candidateId }, metadata: { now } }),
    { correlationId: context.correlationId, causationId: context.causationId, actor: context.actor },
  );
  if (claimed.events.length > 0) return candidateId;
  const { state } = await foldStream(deps.store, externalIdClaimDecider, streamId);
  // Decided nothing, so the stream holds a claim (or this very request's, run before with the same seeded ids).
  if (state.status !== 'claimed') throw new Error(`The claim ${streamId} decided nothing yet holds no claim`);
  return state.ownerId;
}
