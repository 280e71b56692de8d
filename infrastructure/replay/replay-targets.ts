// The targets an API process replays to: Kafka, to each event's context topic or to one of this deployment's event
// topics (never any other, so a caller cannot produce to an arbitrary topic), or one of its projections.
import type { Kafka } from 'kafkajs';
import { IllegalState, ValidationError } from '../../domain/kernel/errors.js';
import type { Redeliverable } from '../../projections/dead-letters.js';
import { projectionApplierNamed, projectionReplayTarget } from '../../projections/projection-replay-target.js';
import { openKafkaReplayTarget } from '../bus/kafka/kafka-replay-target.js';
import type { KafkaTopology } from '../bus/kafka/kafka-topology.js';
import type { ReplayTargets } from './background-replays.js';

export function replayTargetsOf(system: Readonly<{ kafka: Kafka | null; topology: KafkaTopology; deadLetterConsumers: readonly Redeliverable[] }>): ReplayTargets {
  const { kafka, topology, deadLetterConsumers } = system;
  return {
    check(request) {
      if (request.target === 'projection') {
        projectionApplierNamed(deadLetterConsumers, request.projection);
        return;
      }
      const topics = topology.eventTopics();
      if (request.topic !== undefined && !topics.includes(request.topic)) {
        throw new ValidationError('REPLAY.UNKNOWN_TOPIC', `${request.topic} is not an event topic of this deployment: use ${topics.join(', ')}, or name none`, [
          { path: 'topic', message: 'one of this deployment\'s event topics' },
        ]);
      }
      if (kafka === null) throw new IllegalState('REPLAY.KAFKA_NOT_CONFIGURED', 'This deployment has no Kafka (KAFKA_BROKERS is unset): replay to a projection instead');
    },
    open(request) {
      if (request.target === 'projection') return projectionReplayTarget(deadLetterConsumers, request.projection);
      if (kafka === null) throw new IllegalState('REPLAY.KAFKA_NOT_CONFIGURED', 'This deployment has no Kafka');
      return openKafkaReplayTarget(kafka, topology, request.topic);
    },
  };
}
