// The cursors of the lists that page by (timestamp, id), newest first: the last row's keyset, base64url JSON,
// opaque to clients, who hand it back unchanged.
import { ValidationError } from '../domain/kernel/errors.js';

/** PostgreSQL writes uuids in lower case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const isUuidText = (id: string): boolean => UUID.test(id);

export const encodeCursor = (at: Date, id: string): string => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

/**
 * Takes only what encodeCursor gives, ids that pass `isId`: anything else could reach PostgreSQL as a value it
 * refuses (22P02, 22008, 22009) and come back as a 500. Timestamps are toISOString's plain form, years 1 to 9999:
 * inside PostgreSQL's range and written alike by both drivers, which disagree on years 0 and below and on 10000 and
 * above.
 */
export function decodeCursor(cursor: string, isId: (id: string) => boolean = isUuidText): [Date, string] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2) {
      const [text, id] = decoded as unknown[];
      const at = typeof text === 'string' && TIMESTAMP.test(text) ? new Date(text) : null;
      const roundTrips = at !== null && !Number.isNaN(at.getTime()) && at.toISOString() === text && at.getUTCFullYear() >= 1;
      if (roundTrips && typeof id === 'string' && isId(id)) return [at, id];
    }
  } catch {
    // fall through: any undecodable cursor gets the same answer
  }
  throw new ValidationError('QUERY.INVALID_CURSOR', 'The cursor is not one this API issued', [{ path: 'query.cursor', message: 'Invalid cursor' }]);
}
