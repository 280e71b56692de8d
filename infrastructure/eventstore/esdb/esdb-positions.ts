// EventStoreDB positions (commit, prepare) as the port's opaque string `<commit>:<prepare>`.
// Callers never parse them; they only hand them back to this store, which compares them as numbers.
import type { Position } from '../../../application/ports/event-store.js';

/** The client's own position type: both parts are bigints. */
export type LogPosition = Readonly<{ commit: bigint; prepare: bigint }>;

/** Log positions are signed 64-bit integers on the server; the client's END sentinel (2^64 - 1) is not one. */
const MAX_LOG_POSITION = 2n ** 63n - 1n;

// Canonical decimal only (no sign, no leading zeros), so that one position has exactly one spelling.
const POSITION = /^(0|[1-9]\d{0,18}):(0|[1-9]\d{0,18})$/;

export function encodePosition(position: LogPosition): Position {
  return `${position.commit}:${position.prepare}`;
}

export function decodePosition(value: Position): LogPosition {
  const parsed = parsePosition(value);
  if (parsed === undefined) throw new Error(`${JSON.stringify(value)} is not an EventStoreDB position`);
  return parsed;
}

/**
 * A position this store can have issued: both parts within the server's range, and the prepare part not past
 * the commit part (a record is prepared before, or as, it is committed; filter checkpoints carry prepare 0).
 */
export function isPosition(value: string): boolean {
  return parsePosition(value) !== undefined;
}

/** Commit position first, then prepare position: the order of the transaction log. */
export function comparePositions(a: Position, b: Position): number {
  const left = decodePosition(a);
  const right = decodePosition(b);
  return compareLogPositions(left, right);
}

export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The later of two positions, either of which may be missing. */
export function laterPosition(a: Position | null, b: Position | null): Position | null {
  if (a === null) return b;
  if (b === null) return a;
  return comparePositions(a, b) >= 0 ? a : b;
}

/** Whether a position reported by the server is a real log position rather than a "no position" sentinel. */
export function isLogPosition(position: LogPosition): boolean {
  return inRange(position.commit) && inRange(position.prepare) && position.prepare <= position.commit;
}

function parsePosition(value: string): LogPosition | undefined {
  const match = POSITION.exec(value);
  if (match === null) return undefined;
  const position = { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
  return isLogPosition(position) ? position : undefined;
}

const inRange = (part: bigint): boolean => part >= 0n && part <= MAX_LOG_POSITION;
