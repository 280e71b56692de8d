// An error as one line that is safe to show operators and API callers: no credentials, no values a database
// echoed back, bounded length. The full error belongs in the log only.
import { ChorusError } from '../../domain/kernel/errors.js';

/** Bounds an error's text in health output, dead letters and problem documents: read by people, not parsed. */
const MAX_ERROR_LENGTH = 300;

/*
 * Provider errors often echo the request they failed on (a URL with `?key=`, an Authorization
 * header), and what this returns is read by operators and dashboards, so anything that looks like a credential is masked.
 */
const SECRET_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/\b(bearer|basic)\s+[\w.~+/=-]+/giu, '$1 [redacted]'],
  [/\b((?:api[_-]?)?key|token|secret|password|passwd|authorization|signature|sig)(["']?\s*[:=]\s*["']?)[^\s"'&,;]+/giu, '$1$2[redacted]'],
  [/\bAIza[\w-]{20,}/gu, '[redacted]'],
  [/\bsk-[\w-]{16,}/gu, '[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/giu, '$1[redacted]@'],
];

const SQLSTATE = /^(?:\d\d|HV|P0|XX|F0)[0-9A-Z]{3}$/;

/** A PostgreSQL error (pg or PGlite): its SQLSTATE, or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

/**
 * Its message with credentials masked, for errors whose text we trust; only the SQLSTATE for database errors,
 * whose messages quote the values and constraint names they tripped over.
 */
export function describeError(error: unknown): string {
  if (error instanceof ChorusError) return bounded(`${error.code}: ${error.message}`);
  const state = sqlStateOf(error);
  if (state !== undefined) return `database error ${state}`;
  const raw = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message || error.name}` : typeof error === 'string' ? error : 'unknown error';
  return bounded(SECRET_PATTERNS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), raw.replace(/\s+/gu, ' ').trim()));
}

const bounded = (text: string): string => (text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text);
