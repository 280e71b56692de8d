// Which failures come from the infrastructure rather than from the event being processed: those are retried
// for as long as it takes, never dead-lettered.

const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57', '58']; // connection, resources, operator intervention, system
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '25P03']); // serialization failure, deadlock, lock not available, idle-in-transaction timeout
const TRANSIENT_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isTransientError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_ERRNOS.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (code.length === 5 && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  // pg reports a connection lost mid-query, and a pool that cannot hand out a client, only in words.
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}
