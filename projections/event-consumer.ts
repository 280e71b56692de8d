// Whatever reacts to the log (a projection, an enricher), independent of how events reach it (see EventBus).
import type { EventSubscriber } from '../application/ports/event-bus.js';
import type { ConsumerHealth } from './consumer-health.js';

export type { Progress } from '../application/ports/event-bus.js';

export interface EventConsumer extends EventSubscriber {
  /** Whether it makes progress; a consumer that keeps failing is reported stuck. */
  readonly health: ConsumerHealth;
}
