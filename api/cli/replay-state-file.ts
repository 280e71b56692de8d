// The state of a replay started from the shell: its arguments, and how far the target has acknowledged it, written
// after every batch (to a new file renamed over the old, so a crash leaves the previous state whole). `--resume`
// reads it back and continues with the same arguments.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ReplayRateSchema, ReplaySelectionSchema } from '../../application/replay/replay-request.js';
import { IN_MEMORY, type Config } from '../../infrastructure/config.js';

const TargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kafka'), topic: z.string().optional() }),
  z.strictObject({ kind: z.literal('projection'), name: z.string() }),
  z.strictObject({ kind: z.literal('jsonl'), destination: z.string() }),
]);

export type ReplayTargetChoice = z.infer<typeof TargetSchema>;

const ReplayStateSchema = z.strictObject({
  version: z.literal(1),
  selection: ReplaySelectionSchema,
  target: TargetSchema,
  rate: ReplayRateSchema.optional(),
  status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  lastPosition: z.string().nullable(),
  processed: z.number().int().min(0),
  /** JSONL to a file: its length once the acknowledged events were written. */
  bytesWritten: z.number().int().min(0).optional(),
  updatedAt: z.string(),
});

export type ReplayState = z.infer<typeof ReplayStateSchema>;

/** In the data directory of the embedded profile, else in the working directory. */
export function defaultStateFile(config: Config): string {
  if (config.databaseUrl === undefined && config.dataDir !== IN_MEMORY) return path.join(config.dataDir, 'replay-state.json');
  return path.resolve('.chorus-replay.json');
}

export async function readReplayState(file: string): Promise<ReplayState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = ReplayStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a replay state this version of chorus wrote: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function writeReplayState(file: string, state: ReplayState): Promise<void> {
  const next = `${file}.next`;
  await writeFile(next, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(next, file);
}
