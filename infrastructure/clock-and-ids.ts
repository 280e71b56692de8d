import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { Clock } from '../application/ports/clock.js';
import type { Ids } from '../application/ports/ids.js';

export const systemClock: Clock = { now: () => new Date() };

/** The namespace of every name-based id Chorus derives; changing it would re-append every enrichment. */
const CHORUS_NAMESPACE = '6f0c8d4e-3b1a-5c9e-8f27-1d4b6a2e9c35';

export const uuidV7Ids: Ids = { next: () => uuidv7(), fromName: (name) => uuidv5(name, CHORUS_NAMESPACE) };
