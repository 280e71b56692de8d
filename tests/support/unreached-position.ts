// A position the log holds (so a read may wait for it) that no projection ever reaches: the store is made to
// answer that its newest event lies there. The only way to keep a read-your-writes wait open until its timeout,
// its client or the cap ends it; any real write is applied within milliseconds.
import type { EventStore } from '../../application/ports/event-store.js';

export const UNREACHED = '9000000000000000000';

/** Until the returned function is called, `store` says its newest event lies at UNREACHED. */
export function pretendStoredUpTo(store: Pick<EventStore, 'newestPosition'>, position = UNREACHED): () => void {
  const newest = store.newestPosition;
  store.newestPosition = async () => position;
  return () => void (store.newestPosition = newest);
}

/** Runs `body` while `store` says its newest event lies at UNREACHED. */
export async function whileUnreachedStored<T>(store: Pick<EventStore, 'newestPosition'>, body: () => Promise<T>): Promise<T> {
  const restore = pretendStoredUpTo(store);
  try {
    return await body();
  } finally {
    restore();
  }
}
