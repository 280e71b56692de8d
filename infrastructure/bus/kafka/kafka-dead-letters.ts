// Announces dead letters on the DLQ topic, for whoever watches it; the dead_letters table stays the record.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { DeadLetter } from '../../../projections/dead-letters.js';
import { HEADERS } from './kafka-messages.js';

/** The producer of dead letters; the partitioner named, as the relay's is: kafkajs warns at every start otherwise. */
export function deadLetterProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/** Each letter names its event store, as relayed events do: deployments sharing a prefix share the DLQ topic. */
export function deadLetterPublisher(producer: Producer, topic: string, storeId: string): (letter: DeadLetter) => Promise<void> {
  let connected: Promise<void> | null = null;
  return async (letter) => {
    connected ??= producer.connect().catch((error: unknown) => {
      connected = null; // try again with the next letter
      throw error;
    });
    await connected;
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: `${letter.consumer}:${letter.event.streamId}`, value: JSON.stringify(letter), headers: { [HEADERS.store]: storeId } }],
    });
  };
}
