// The AI orchestrator's intents: a named way to run one AI task on demand. A context declares its intents in its
// module (`intents`), each with the schema its input must pass, the task it runs and, optionally, what `apply`
// does with the answer (a command through the context's own handlers). The orchestrator knows no context.
import type { z } from 'zod';
import { ValidationError, type FieldError } from '../../domain/kernel/errors.js';
import type { CommandContext, CommandDependencies } from '../kernel/handle-command.js';
import type { AiTask } from '../ports/ai-provider.js';
import type { AttemptRecord, TracedAnswer } from './provider-chain.js';

/** What an intent's `apply` may use: the command handlers' dependencies and the caller's command context. */
export type ApplyContext = Readonly<{ commands: CommandDependencies; context: CommandContext }>;

export type AiIntent<Input = unknown, Answer = unknown> = Readonly<{
  /** Unique over every context: what callers send as `intent` (`extract-lead`). */
  name: string;
  /** One line for the documentation and the list of known intents. */
  summary: string;
  /** What `input` must be; its paths name the fields at fault (`body.input.text`). Bounds the input's size too. */
  input: z.ZodType<Input>;
  task: AiTask<Input, Answer>;
  /** What `apply: true` does with the answer, through the context's command handlers; what it returns joins the answer. */
  apply?(answer: Answer, input: Input, on: ApplyContext): Promise<unknown>;
}>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Input is contravariant: no other type accepts every intent.
export type AnyAiIntent = AiIntent<any, any>;

/** What the orchestrator needs of the provider chain. */
export type RunsTracedAiTasks = Readonly<{
  runTraced<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal?: AbortSignal): Promise<TracedAnswer<Answer>>;
}>;

export type OrchestrationRequest = Readonly<{ intent: string; input: unknown; apply: boolean }>;

export type Orchestrated = Readonly<{
  intent: string;
  result: unknown;
  usedProvider: string;
  attempts: readonly AttemptRecord[];
  /** What the intent's apply returned (the created lead's id...); absent without `apply`. */
  applied?: unknown;
}>;

/** The intents of every module, by name; two with one name stop the start-up. */
export class IntentRegistry {
  readonly #byName: ReadonlyMap<string, AnyAiIntent>;

  constructor(intents: readonly AnyAiIntent[]) {
    const byName = new Map<string, AnyAiIntent>();
    for (const intent of intents) {
      if (byName.has(intent.name)) throw new RangeError(`Two AI intents are named ${intent.name}: intent names must be unique across contexts`);
      byName.set(intent.name, intent);
    }
    this.#byName = byName;
  }

  /** Sorted, for messages and documentation. */
  get names(): readonly string[] {
    return [...this.#byName.keys()].sort();
  }

  get intents(): readonly AnyAiIntent[] {
    return this.names.map((name) => this.#byName.get(name)!);
  }

  /** @throws ValidationError AI.UNKNOWN_INTENT naming the known ones. */
  get(name: string): AnyAiIntent {
    const intent = this.#byName.get(name);
    if (intent === undefined) {
      const known = this.names.join(', ');
      throw new ValidationError('AI.UNKNOWN_INTENT', `Unknown intent ${JSON.stringify(name.slice(0, 100))}; known intents: ${known}`, [
        { path: 'body.intent', message: `One of: ${known}` },
      ]);
    }
    return intent;
  }
}

/**
 * Validates the input against the intent, runs its task through the chain and, with `apply`, hands the answer to
 * the intent's apply. @throws ValidationError (unknown intent, invalid input, apply unsupported), AllProvidersFailed.
 */
export async function orchestrate(
  registry: IntentRegistry,
  chain: RunsTracedAiTasks,
  request: OrchestrationRequest,
  on: ApplyContext,
  signal?: AbortSignal,
): Promise<Orchestrated> {
  const intent = registry.get(request.intent);
  if (request.apply && intent.apply === undefined) {
    throw new ValidationError('AI.APPLY_UNSUPPORTED', `Intent ${intent.name} has nothing to apply; send it without apply`, [
      { path: 'body.apply', message: `${intent.name} does not take apply: true` },
    ]);
  }
  const parsed = intent.input.safeParse(request.input);
  if (!parsed.success) {
    const errors: FieldError[] = parsed.error.issues.map((issue) => ({ path: ['body', 'input', ...issue.path.map(String)].join('.'), message: issue.message }));
    throw new ValidationError('REQUEST.INVALID', `The input of ${intent.name} is invalid`, errors);
  }
  const { answer, provider, attempts } = await chain.runTraced(intent.task, parsed.data, signal);
  const base = { intent: intent.name, result: answer, usedProvider: provider, attempts };
  if (!request.apply || intent.apply === undefined) return base;
  return { ...base, applied: await intent.apply(answer, parsed.data, on) };
}
