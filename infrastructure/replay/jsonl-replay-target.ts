// Replay to JSON Lines: one envelope per line, to a file or standard output. Each batch is one write that the
// replay acknowledges once the operating system has it; the bytes written so far are part of the replay's state,
// so a resumed replay cuts the file back to them and nothing is written twice.
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { ReplayTarget } from '../../application/replay/replay.js';

export type JsonlReplayTarget = ReplayTarget & { readonly bytesWritten: number };

/** `-` writes to standard output; a path is written from the start, or from `resumeAtByte` on (a resumed replay). */
export async function openJsonlTarget(destination: string, resumeAtByte?: number): Promise<JsonlReplayTarget> {
  if (destination === '-') return writingTo(process.stdout, false, 0);
  const file = await open(destination, resumeAtByte === undefined ? 'w' : 'r+');
  try {
    if (resumeAtByte !== undefined) await file.truncate(resumeAtByte);
    // The stream owns the handle from here: ending it closes the file (a handle whose stream is not closed never closes).
    return writingTo(file.createWriteStream({ start: resumeAtByte ?? 0 }), true, resumeAtByte ?? 0);
  } catch (error) {
    await file.close();
    throw error;
  }
}

function writingTo(out: Writable, ownsStream: boolean, startByte: number): JsonlReplayTarget {
  let bytesWritten = startByte;
  return {
    get bytesWritten() {
      return bytesWritten;
    },
    async send(events: readonly RecordedEvent[]) {
      let chunk = '';
      for (const event of events) chunk += `${JSON.stringify(event)}\n`;
      const written = new Promise<void>((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve())));
      // A slow reader of standard output holds the replay back instead of the replay holding the log in memory.
      if (out.writableNeedDrain) await once(out, 'drain');
      await written;
      bytesWritten += Buffer.byteLength(chunk);
    },
    async close() {
      if (!ownsStream) return;
      out.end();
      await once(out, 'close');
    },
  };
}
