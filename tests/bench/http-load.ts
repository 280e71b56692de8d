// HTTP load with autocannon, generated in a process of its own (load-generator.ts) so that the client never
// competes with the server under test for one event loop.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type LoadRequest = Readonly<{
  url: string;
  kind: 'submit' | 'read' | 'vote' | 'get' | 'ingest';
  connections: number;
  seconds: number;
  /** read: the feedback ids to GET, picked at random. */
  ids?: readonly string[];
  /** get: the one path every request GETs. */
  path?: string;
  /** vote: the poll, its options (voted for in turn), and the key to sign each vote's token with, one voter per vote. */
  votes?: Readonly<{ pollId: string; optionIds: readonly string[]; jwtSecret: string; count: number }>;
  /** ingest: the speaker whose drafts are ingested (each with an externalId of its own) and the text of each. */
  ingest?: Readonly<{ speakerId: string; text: string }>;
  /** Sent with every request of the load: the reads' credentials (submitting needs none). */
  headers?: Readonly<Record<string, string>>;
}>;

export type LoadResult = Readonly<{
  /** autocannon's average of its per-second samples. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts included. */
  errors: number;
  non2xx: number;
  /** submit: the ids of the feedback created. */
  ids: string[];
}>;

export function generateLoad(request: LoadRequest): Promise<LoadResult> {
  const generator = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<LoadResult>((resolve, reject) => {
    generator.once('message', (result) => resolve(result as LoadResult));
    generator.once('error', reject);
    generator.once('exit', (code) => reject(new Error(`the load generator exited with ${code} before answering`)));
    generator.send(request);
  });
}
