// An externalId's claim: the stream named after it (a speaker's, or a draft's within its speaker) whose first event
// names the owner. Claiming appends with no_stream, so of two concurrent claims exactly one wins, whatever any read
// model says. The claim never moves: a claimant that died before creating its owner leaves the owner's id to be
// created by the next request for the same externalId (see application/drafts), so nothing stays locked.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import type { ExternalIdClaimed } from './events.js';

export type ExternalIdClaim = Readonly<{ status: 'free' }> | Readonly<{ status: 'claimed'; externalId: string; ownerId: string; at: string }>;

export const initialState = (): ExternalIdClaim => ({ status: 'free' });

export function evolve(state: ExternalIdClaim, event: ExternalIdClaimed): ExternalIdClaim {
  switch (event.type) {
    case 'ExternalIdClaimed':
      // The first claim holds: a later one could only come from a store written around the decider.
      return state.status === 'claimed' ? state : { status: 'claimed', ...event.data };
    default:
      return assertNever(event.type);
  }
}

/** Claims for `ownerId`; a claimed id decides nothing (the caller reads who holds it). */
export type ClaimExternalId = Command<'ClaimExternalId', { externalId: string; ownerId: string }>;

export function decide(command: ClaimExternalId, state: ExternalIdClaim): readonly ExternalIdClaimed[] {
  switch (command.type) {
    case 'ClaimExternalId':
      if (state.status === 'claimed') return [];
      return [{ type: 'ExternalIdClaimed', data: { externalId: command.data.externalId, ownerId: command.data.ownerId, at: command.metadata.now.toISOString() } }];
    default:
      return assertNever(command.type);
  }
}

export const externalIdClaimDecider: Decider<ExternalIdClaim, ClaimExternalId, ExternalIdClaimed> = { decide, evolve, initialState };
