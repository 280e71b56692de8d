import { createHash, randomFillSync } from 'node:crypto';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { Clock } from '../application/ports/clock.js';
import type { Ids } from '../application/ports/ids.js';

export const systemClock: Clock = { now: () => new Date() };

/** The namespace of every name-based id Chorus derives; changing it would re-append every enrichment. */
const CHORUS_NAMESPACE = '6f0c8d4e-3b1a-5c9e-8f27-1d4b6a2e9c35';

const fromName = (name: string): string => uuidv5(name, CHORUS_NAMESPACE);

/**
 * Random bytes for new ids, drawn from the system's generator 4 KiB at a time: asking it for 16 bytes per id
 * (the uuid package's default) cost a request on the API's hot path several per cent of its CPU.
 */
const randomPool = Buffer.alloc(4096);
let poolAt = randomPool.length;

function randomBytes16(): Uint8Array {
  if (poolAt === randomPool.length) {
    randomFillSync(randomPool);
    poolAt = 0;
  }
  poolAt += 16;
  return randomPool.subarray(poolAt - 16, poolAt);
}

/** A uuid v7: time-ordered to the millisecond, random within it. */
export const newUuidV7 = (): string => uuidv7({ random: randomBytes16() });

export const uuidV7Ids: Ids = { next: newUuidV7, fromName };

/**
 * Ids for a request that may run again (an Idempotency-Key retried after a crash): the n-th `next()` is the same
 * uuid v7 on every run, its time part taken from `at` and its random part from a hash of `seed` and n. So a
 * second run mints the ids the first one appended, and the event store recognises them.
 */
export function seededIds(seed: string, at: Date): Ids {
  let n = 0;
  const ms = BigInt(at.getTime());
  return {
    fromName,
    next(): string {
      const hash = createHash('sha256').update(`${seed}:${n++}`).digest();
      const bytes = Buffer.alloc(16);
      for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
      bytes[6] = 0x70 | (hash[0]! & 0x0f); // version 7
      bytes[7] = hash[1]!;
      bytes[8] = 0x80 | (hash[2]! & 0x3f); // RFC 4122 variant
      hash.copy(bytes, 9, 3, 10);
      const hex = bytes.toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
