// Lookups by key that arrive in the same turn of the event loop, answered by one query. Under load many reads by
// id miss the view cache at once (50 connections GETting fresh ids): one statement for all of them costs the
// database and this process far less than one round trip each. A lookup waits for nothing but the end of the
// turn it was asked in (setImmediate), so an idle server answers as fast as before; its query starts no earlier
// than a query of its own would have, so it sees at least what that one would have seen.

/** The rows found for `keys`, by key; a key with no row is absent. */
export type FetchByKeys<Row> = (keys: readonly string[]) => Promise<ReadonlyMap<string, Row>>;

type Waiter<Row> = Readonly<{ resolve(row: Row | undefined): void; reject(error: unknown): void }>;

export class CoalescedLookup<Row> {
  #pending = new Map<string, Waiter<Row>[]>();
  #scheduled = false;

  /** `maxKeys`: the most keys one query carries; more in one turn are split into several queries. */
  constructor(
    private readonly fetch: FetchByKeys<Row>,
    private readonly maxKeys = 256,
  ) {}

  /** The row of `key`, or undefined; the same key asked twice in a turn is fetched once, and both get that row. */
  load(key: string): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(key);
      if (waiters === undefined) this.#pending.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    const keys = [...pending.keys()];
    for (let start = 0; start < keys.length; start += this.maxKeys) {
      const batch = keys.slice(start, start + this.maxKeys);
      const settle = (each: (waiter: Waiter<Row>, key: string) => void): void => {
        for (const key of batch) for (const waiter of pending.get(key)!) each(waiter, key);
      };
      // A fetch that throws at once is a failed fetch too: every waiter hears of it.
      Promise.resolve()
        .then(() => this.fetch(batch))
        .then(
          (rows) => settle((waiter, key) => waiter.resolve(rows.get(key))),
          (error: unknown) => settle((waiter) => waiter.reject(error)),
        );
    }
  }
}

/** One lookup per database handle (the writer, each replica), made when first asked for. */
export function lookupsPer<Handle extends object, Row>(fetchFrom: (handle: Handle) => FetchByKeys<Row>): (handle: Handle) => CoalescedLookup<Row> {
  const lookups = new WeakMap<Handle, CoalescedLookup<Row>>();
  return (handle) => {
    let lookup = lookups.get(handle);
    if (lookup === undefined) lookups.set(handle, (lookup = new CoalescedLookup(fetchFrom(handle))));
    return lookup;
  };
}
