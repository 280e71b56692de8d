// Worker threads whose entry is a module of this codebase, run from source (tsx) or built (plain .js).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker does not inherit the loader hooks `--import tsx` registers in the main thread (Node 20): run from
 * source, it registers tsx itself before importing the .ts entry. Built, the entry is plain JavaScript.
 * `entry` is the worker module's URL relative to `caller` (import.meta.url), without its extension.
 */
export function startModuleWorker(caller: string, entry: string, workerData?: unknown): Worker {
  const fromSource = extname(fileURLToPath(caller)) === '.ts';
  const file = new URL(`${entry}${fromSource ? '.ts' : '.js'}`, caller);
  if (!fromSource) return new Worker(file, { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`, { eval: true, workerData });
}
