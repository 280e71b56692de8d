import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../application/ports/clock.js';
import type { Ids } from '../application/ports/ids.js';

export const systemClock: Clock = { now: () => new Date() };

export const uuidV7Ids: Ids = { next: () => uuidv7() };
