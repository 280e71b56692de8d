// A projection as a replay's target: the events go through its applier as a delivery would, so what its streams
// have applied is skipped and a poison event is dead-lettered, but no checkpoint or offset moves.
import type { ReplayTarget } from '../application/replay/replay.js';
import { ValidationError } from '../domain/kernel/errors.js';
import type { Redeliverable } from './dead-letters.js';
import { ProjectionApplier } from './projection-applier.js';

/** The applier of the projection called `name`, among a system's consumers. */
export function projectionApplierNamed(consumers: readonly Redeliverable[], name: string): ProjectionApplier {
  const appliers = consumers.filter((consumer) => consumer instanceof ProjectionApplier);
  const applier = appliers.find((candidate) => candidate.projection.name === name);
  if (applier === undefined) {
    throw new ValidationError('REPLAY.UNKNOWN_PROJECTION', `No projection is called "${name}": use ${appliers.map((known) => known.projection.name).join(', ')}`);
  }
  return applier;
}

/** The target for the projection called `name`, among a system's consumers. */
export async function projectionReplayTarget(consumers: readonly Redeliverable[], name: string): Promise<ReplayTarget> {
  const applier = projectionApplierNamed(consumers, name);
  await applier.start();
  return { send: (events, signal) => applier.reapply(events, signal), close: async () => undefined };
}
