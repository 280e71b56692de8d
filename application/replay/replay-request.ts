// What an operator asks a replay for, as JSON (the HTTP body; the CLI builds the same object from its flags), and
// its validation: one set of rules and error codes for both.
import { z } from 'zod';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { EventStore } from '../ports/event-store.js';
import type { ReplaySelection } from './replay.js';

const names = (max: number, what: string) => z.array(z.string().min(1).max(max)).min(1, `at least one ${what}`).max(1000);
const isoTime = z.iso
  .datetime({ offset: true, message: 'an ISO 8601 time with a zone, such as 2026-12-01T00:00:00Z' })
  // PostgreSQL reads years 1 to 9999 in UTC: year 0, or an offset crossing either end, would fail the replay midway.
  .refine((time) => {
    const year = new Date(time).getUTCFullYear();
    return Number.isNaN(year) || (year >= 1 && year <= 9999); // not a time at all: the format check says so
  }, 'a time in the years 1 to 9999 (UTC)');

export const ReplaySelectionSchema = z.strictObject({
  fromPosition: z.string().min(1).max(64).optional(),
  toPosition: z.string().min(1).max(64).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  streams: names(200, 'stream').optional(),
  categories: names(100, 'category').optional(),
  types: names(200, 'type').optional(),
});

export type ReplaySelectionInput = z.infer<typeof ReplaySelectionSchema>;

/** Events per second: at most a million, which is as good as unthrottled. */
export const ReplayRateSchema = z.number().positive().max(1_000_000);

/**
 * A replay asked of an API process: a selection, a target it reaches (Kafka: each event's context topic, or one
 * named event topic; a projection by name) and a rate. JSON Lines stays with the CLI: a file on an API host is no
 * use to an operator.
 */
export const ReplayRequestSchema = z.discriminatedUnion('target', [
  ReplaySelectionSchema.extend({ target: z.literal('kafka'), topic: z.string().min(1).max(249).optional(), rate: ReplayRateSchema.optional() }),
  ReplaySelectionSchema.extend({ target: z.literal('projection'), projection: z.string().min(1).max(100), rate: ReplayRateSchema.optional() }),
]);

export type ReplayRequest = z.infer<typeof ReplayRequestSchema>;

/** The selection with its positions checked against the store and its times read; refuses an empty range. */
export function replaySelectionOf(input: ReplaySelectionInput, store: Pick<EventStore, 'isPosition' | 'comparePositions'>): ReplaySelection {
  for (const field of ['fromPosition', 'toPosition'] as const) {
    const position = input[field];
    if (position !== undefined && !store.isPosition(position)) {
      throw new ValidationError('REPLAY.INVALID_POSITION', `${field} is not a position of this event store`, [{ path: field, message: 'a position this store issued' }]);
    }
  }
  if (input.fromPosition !== undefined && input.toPosition !== undefined && store.comparePositions(input.fromPosition, input.toPosition) > 0) {
    throw new ValidationError('REPLAY.EMPTY_RANGE', 'fromPosition is after toPosition', [{ path: 'toPosition', message: 'at or after fromPosition' }]);
  }
  const since = input.since === undefined ? undefined : new Date(input.since);
  const until = input.until === undefined ? undefined : new Date(input.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new ValidationError('REPLAY.EMPTY_RANGE', 'since is not before until', [{ path: 'until', message: 'after since' }]);
  }
  const { fromPosition, toPosition, streams, categories, types } = input;
  return {
    ...(fromPosition === undefined ? {} : { fromPosition }),
    ...(toPosition === undefined ? {} : { toPosition }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(streams === undefined ? {} : { streams }),
    ...(categories === undefined ? {} : { categories }),
    ...(types === undefined ? {} : { types }),
  };
}
