// Views of single aggregates (one row of a read model, by id), kept in this process as the JSON they are served
// as, and dropped as soon as their projection announces a batch: a batch applied here is announced as it commits,
// one applied by another process through the progress NOTIFY, and a lost connection to those announces every
// projection. A view is never older than the announcements this process has had; `maxAgeMs` bounds it when an
// announcement never comes (a projector that died between its commit and its NOTIFY).
import { LRUCache } from 'lru-cache';
import type { ProjectionProgress } from '../../projections/projection-progress.js';

export type ViewCacheOptions = Readonly<{
  /** Memory the kept views may take, least recently read dropped first; 0 keeps none. */
  maxBytes: number;
  maxAgeMs: number;
}>;

/** A view and its JSON. Shared by every reader of the entry: neither is changed once made. */
export type CachedView<View> = Readonly<{ view: View; json: string }>;

type Entry = CachedView<object> & Readonly<{ batches: number }>;

/** A kept entry's own memory besides its JSON and its view, roughly. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * What an entry takes: its key and JSON at two bytes a character (UTF-16), and its view about as much again as
 * the JSON (the same strings and numbers, held as an object).
 */
const entryBytes = (entry: Entry, key: string): number => 2 * (2 * entry.json.length + key.length) + ENTRY_OVERHEAD_BYTES;

export class ViewCache {
  readonly #entries: LRUCache<string, Entry> | null;

  constructor(
    private readonly progress: ProjectionProgress,
    options: ViewCacheOptions,
  ) {
    this.#entries =
      options.maxBytes === 0
        ? null
        : new LRUCache<string, Entry>({
            maxSize: options.maxBytes,
            sizeCalculation: entryBytes,
            ttl: options.maxAgeMs,
          });
  }

  /**
   * The view of `key` in `projection`'s read model: kept, or loaded and kept. What `load` finds missing (undefined)
   * is not kept, so reads of ids that do not exist cannot push out views that do.
   */
  async read<View extends object>(
    projection: string,
    key: string,
    load: () => Promise<View | undefined>,
  ): Promise<{ found: CachedView<View> | undefined; hit: boolean }> {
    const cacheKey = `${projection}\u0000${key}`;
    const batches = this.progress.batches(projection);
    const kept = this.#entries?.get(cacheKey);
    if (kept !== undefined && kept.batches === batches) return { found: kept as unknown as CachedView<View>, hit: true };
    // Counted before the load: a batch announced while it runs leaves the entry stale on arrival, never kept as fresh.
    const view = await load();
    if (view === undefined) {
      this.#entries?.delete(cacheKey);
      return { found: undefined, hit: false };
    }
    const found = { view, json: JSON.stringify(view) };
    this.#entries?.set(cacheKey, { ...found, batches });
    return { found, hit: false };
  }
}
