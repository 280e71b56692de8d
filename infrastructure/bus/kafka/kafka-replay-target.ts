// Replay to Kafka: the events again, each as the relay sends it (the same envelope, key and headers, stamped with
// this deployment's store), to its context's topic or to one named topic. Consumers skip what they have applied.
import type { Kafka, Message, Producer } from 'kafkajs';
import { categoryOf, type RecordedEvent } from '../../../application/ports/event-store.js';
import type { ReplayTarget } from '../../../application/replay/replay.js';
import { IllegalState } from '../../../domain/kernel/errors.js';
import { toMessage } from './kafka-messages.js';
import type { KafkaTopology } from './kafka-topology.js';

const REQUEST_BYTES = 512 * 1024;


export async function openKafkaReplayTarget(kafka: Kafka, topology: KafkaTopology, topic?: string): Promise<ReplayTarget> {
  // Like the relay's: idempotent, one request in flight, so each partition receives the replay in log order.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async send(events: readonly RecordedEvent[]) {
      let byTopic = new Map<string, Message[]>();
      let bytes = 0;
      const flush = async (): Promise<void> => {
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([name, messages]) => ({ topic: name, messages })) });
        [byTopic, bytes] = [new Map(), 0];
      };
      for (const event of events) {
        const destination = topic ?? topology.topicOf(categoryOf(event.streamId));
        // A replayed event whose category no context owns has no topic to go to.
        if (destination === undefined) throw new IllegalState('REPLAY.NO_TOPIC', `No context owns the category of ${event.streamId}, so it has no topic: name the topic to replay it to`);
        const message = toMessage(event, topology.storeId);
        const size = (message.value as string).length;
        // Requests stay well under the broker's size limits, as the relay's do.
        if (bytes > 0 && bytes + size > REQUEST_BYTES) await flush();
        const messages = byTopic.get(destination);
        if (messages === undefined) byTopic.set(destination, [message]);
        else messages.push(message);
        bytes += size;
      }
      if (bytes > 0) await flush();
    },
    close: () => producer.disconnect(),
  };
}
