// The EventBus contract: what every adapter (in-process, Kafka) guarantees to a subscriber.
import test from 'ava';
import type { EventBus, EventSubscriber, Progress } from '../../application/ports/event-bus.js';
import type { EventStore, Position, RecordedEvent } from '../../application/ports/event-store.js';
import { freshStream, newEvents } from '../support/events.js';

export type BusFixture = Readonly<{
  store: EventStore;
  bus: EventBus;
  /** Categories the bus can carry in this fixture (Kafka needs a topic per context). */
  category(): string;
  /** Starts whatever brings appended events to the bus (the relay), until `close`. */
  close(): Promise<void>;
}>;

/** Records what it applied and how far, as a projection would in its transaction; a shared ledger outlives a crash. */
class LedgerSubscriber implements EventSubscriber {
  readonly name: string;

  constructor(
    readonly categories: readonly string[],
    readonly ledger: { events: RecordedEvent[]; checkpoint: Position | null; offsets: Map<string, string> },
    private readonly crashAfter?: { events: number; controller: AbortController },
  ) {
    this.name = `subscriber.${categories.join('-')}`;
  }

  async start(): Promise<void> {}

  async resumeFrom(): Promise<Position | null> {
    return this.ledger.checkpoint;
  }

  async recordedOffset(topic: string, partition: number): Promise<string | null> {
    return this.ledger.offsets.get(`${topic}:${partition}`) ?? null;
  }

  async process(events: readonly RecordedEvent[], progress: Progress): Promise<void> {
    this.ledger.events.push(...events);
    if (progress.kind === 'checkpoint') this.ledger.checkpoint = progress.position;
    else for (const { topic, partition, offset } of progress.partitions) this.ledger.offsets.set(`${topic}:${partition}`, offset);
    // Dies right after its own commit, before the bus can commit anything of its own.
    if (this.crashAfter !== undefined && this.ledger.events.length >= this.crashAfter.events) this.crashAfter.controller.abort();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 1500 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

export function eventBusContract(name: string, fixture: () => Promise<BusFixture>): void {
  test.serial(`${name}: delivers every event of its categories once, each stream in order, and nothing else`, async (t) => {
    t.timeout(120_000);
    const f = await fixture();
    const controller = new AbortController();
    try {
      const mine = f.category();
      const other = f.category();
      const streams = [freshStream(mine), freshStream(mine), freshStream(mine)];
      for (const stream of streams) await f.store.append(stream, newEvents(5), { expectedRevision: 'no_stream' });
      await f.store.append(freshStream(other), newEvents(3), { expectedRevision: 'no_stream' });
      const ledger = { events: [] as RecordedEvent[], checkpoint: null, offsets: new Map<string, string>() };
      const running = f.bus.run(new LedgerSubscriber([mine], ledger), controller.signal);
      await until(() => ledger.events.length >= 15, 'fifteen events delivered');
      for (const stream of streams) await f.store.append(stream, newEvents(2), { expectedRevision: 4 });
      await until(() => ledger.events.length >= 21, 'live events delivered');
      await new Promise((resolve) => setTimeout(resolve, 300)); // anything extra would show now
      controller.abort();
      await running;
      t.is(ledger.events.length, 21, 'each event once');
      t.true(ledger.events.every((event) => event.streamId.startsWith(`${mine}-`)), 'only its categories');
      for (const stream of streams) {
        t.deepEqual(ledger.events.filter((event) => event.streamId === stream).map((event) => event.revision), [0, 1, 2, 3, 4, 5, 6], stream);
      }
    } finally {
      controller.abort();
      await f.close();
    }
  });

  test.serial(`${name}: a subscriber that dies right after recording a batch is not handed that batch again`, async (t) => {
    t.timeout(120_000);
    const f = await fixture();
    try {
      const mine = f.category();
      const stream = freshStream(mine);
      await f.store.append(stream, newEvents(4), { expectedRevision: 'no_stream' });
      const ledger = { events: [] as RecordedEvent[], checkpoint: null, offsets: new Map<string, string>() };
      const crash = new AbortController();
      await f.bus.run(new LedgerSubscriber([mine], ledger, { events: 4, controller: crash }), crash.signal);
      t.is(ledger.events.length, 4);

      const controller = new AbortController();
      const running = f.bus.run(new LedgerSubscriber([mine], ledger), controller.signal);
      await f.store.append(stream, newEvents(1), { expectedRevision: 3 });
      await until(() => ledger.events.length >= 5, 'the next event delivered');
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await running;
      t.deepEqual(ledger.events.map((event) => event.revision), [0, 1, 2, 3, 4], 'the recorded batch came back to nobody');
    } finally {
      await f.close();
    }
  });
}

