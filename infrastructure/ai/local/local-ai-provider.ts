// The offline AI provider: deterministic text processing with no network and no model weights, one local
// implementation per task, so the embedded profile works out of the box and the chain always has a last resort.
import { ProviderUnavailable, type AiProvider, type AiTask, type AnyAiTask } from '../../../application/ports/ai-provider.js';

/** How the local provider runs one task. Answers are checked by the chain against the task's schema like any other. */
export type LocalTask = Readonly<{
  task: string;
  /** What events record as the model that answered; omitted: `local`. */
  model?: string;
  run(input: unknown): unknown;
}>;

/** Pairs a task with its local implementation, so the two agree on the input type. */
export function localTask<Input, Answer>(task: AiTask<Input, Answer>, run: (input: Input) => Answer, model?: string): LocalTask {
  return { task: task.name, ...(model === undefined ? {} : { model }), run: (input) => run(input as Input) };
}

export class LocalAiProvider implements AiProvider {
  readonly name = 'local';
  readonly answersInProcess = true;
  readonly #tasks: ReadonlyMap<string, LocalTask>;

  constructor(tasks: readonly LocalTask[]) {
    const byName = new Map<string, LocalTask>();
    for (const task of tasks) {
      if (byName.has(task.task)) throw new RangeError(`LocalAiProvider: two implementations of ${task.task}`);
      byName.set(task.task, task);
    }
    this.#tasks = byName;
  }

  modelFor(task: AnyAiTask): string {
    return this.#tasks.get(task.name)?.model ?? this.name;
  }

  supports(task: AnyAiTask): boolean {
    return this.#tasks.has(task.name);
  }

  /** Synchronous inside; the promise is the port's. The same input always gets the same answer. */
  async run<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal: AbortSignal): Promise<unknown> {
    // Nothing to interrupt once started, but a caller that already gave up gets no answer.
    signal.throwIfAborted();
    const local = this.#tasks.get(task.name);
    // Unavailable rather than failed: the input is not at fault, and another provider may well run the task.
    if (local === undefined) throw new ProviderUnavailable(`the local provider has no implementation of ${task.name}`);
    return local.run(input);
  }
}
