// One delivery per fetch instead of one per partition. kafkajs hands each partition of a fetch to eachBatch on
// its own; with partitionsConsumedConcurrently those calls start side by side, and the slices they hand on before
// the event loop turns go to the subscriber together: a fetch that brought six partitions costs a projection one
// transaction, not six. Deliveries go one at a time; slices that arrive meanwhile wait for the next.
import type { PartitionProgress } from '../../../application/ports/event-bus.js';
import type { RecordedEvent } from '../../../application/ports/event-store.js';

type Slice = Readonly<{ events: readonly RecordedEvent[]; partition: PartitionProgress; resolve: () => void; reject: (error: unknown) => void }>;

export type Delivery = (events: readonly RecordedEvent[], partitions: readonly PartitionProgress[]) => Promise<void>;

export class FetchGatherer {
  private waiting: Slice[] = [];
  private busy = false;

  constructor(private readonly deliver: Delivery) {}

  /**
   * Resolves once the slice is delivered with whatever else arrived in the same turn of the event loop; rejects
   * when that delivery failed. A partition hands its next slice only after its last one settled, so a delivery
   * holds at most one slice per partition.
   */
  hand(events: readonly RecordedEvent[], partition: PartitionProgress): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, partition, resolve, reject });
      if (this.waiting.length === 1 && !this.busy) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const slices = this.waiting;
    this.waiting = [];
    this.busy = true;
    try {
      await this.deliver(
        slices.length === 1 ? slices[0]!.events : slices.flatMap((slice) => slice.events),
        slices.map((slice) => slice.partition),
      );
      for (const slice of slices) slice.resolve();
    } catch (error) {
      for (const slice of slices) slice.reject(error);
    } finally {
      this.busy = false;
      if (this.waiting.length > 0) setImmediate(() => void this.flush());
    }
  }
}
