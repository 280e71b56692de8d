import test from 'ava';
import type { PartitionProgress } from '../../application/ports/event-bus.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { FetchGatherer } from '../../infrastructure/bus/kafka/fetch-gatherer.js';
import { metadata } from '../support/events.js';

const event = (streamId: string, revision: number): RecordedEvent => ({
  eventId: `${streamId}:${revision}`,
  type: 'Noted',
  streamId,
  revision,
  position: String(revision),
  data: {},
  metadata,
});
const at = (partition: number, offset: string): PartitionProgress => ({ topic: 'chorus.notes', partition, offset });

type Delivered = { events: string[]; partitions: number[] };

function recording(deliver: (delivered: Delivered) => Promise<void> = async () => undefined) {
  const deliveries: Delivered[] = [];
  let running = 0;
  let overlapped = false;
  const gatherer = new FetchGatherer(async (events, partitions) => {
    running++;
    overlapped ||= running > 1;
    const delivered = { events: events.map((e) => e.eventId), partitions: partitions.map((p) => p.partition) };
    deliveries.push(delivered);
    try {
      await deliver(delivered);
    } finally {
      running--;
    }
  });
  return { gatherer, deliveries, overlapped: () => overlapped };
}

test('given slices of several partitions handed in one turn, when the loop turns, then they go in one delivery, in the order handed', async (t) => {
  const { gatherer, deliveries } = recording();
  await Promise.all([
    gatherer.hand([event('a', 0), event('a', 1)], at(0, '7')),
    gatherer.hand([], { ...at(1, '3'), watermark: '90' }),
    gatherer.hand([event('c', 0)], at(2, '0')),
  ]);
  t.deepEqual(deliveries, [{ events: ['a:0', 'a:1', 'c:0'], partitions: [0, 1, 2] }]);
});

test('given a delivery under way, when more slices are handed, then they wait and go together in the next one', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { gatherer, deliveries, overlapped } = recording(async ({ partitions }) => {
    if (partitions.includes(0)) await held;
  });
  let firstDone = false;
  const first = gatherer.hand([event('a', 0)], at(0, '1')).then(() => (firstDone = true));
  await new Promise((resolve) => setImmediate(resolve));
  const later = [gatherer.hand([event('b', 0)], at(1, '1')), gatherer.hand([event('c', 0)], at(2, '1'))];
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(deliveries.length, 1, 'nothing else starts while the first is under way');
  t.false(firstDone);
  release();
  await Promise.all([first, ...later]);
  t.deepEqual(deliveries[1], { events: ['b:0', 'c:0'], partitions: [1, 2] });
  t.false(overlapped(), 'deliveries never ran side by side');
});

test('given a delivery that fails, then every slice in it rejects with its error, and the next delivery goes ahead', async (t) => {
  const { gatherer, deliveries } = recording(async ({ partitions }) => {
    if (partitions.includes(0)) throw new Error('aborted');
  });
  const failed = await Promise.allSettled([gatherer.hand([event('a', 0)], at(0, '1')), gatherer.hand([event('b', 0)], at(1, '1'))]);
  t.deepEqual(
    failed.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).message : 'resolved')),
    ['aborted', 'aborted'],
  );
  await gatherer.hand([event('c', 0)], at(2, '1'));
  t.deepEqual(deliveries.map((d) => d.partitions), [[0, 1], [2]]);
});
