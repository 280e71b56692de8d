// The AI port: a provider runs tasks. A task names itself, says how to put its input to a model and what
// shape the answer has; providers know nothing of feedback, leads or diagrams. The ProviderChain tries them in order.
import type { z } from 'zod';

/** What a model provider sends: the standing instruction (a system prompt) and the text to work on. */
export type AiPrompt = Readonly<{ instruction: string; text: string }>;

export type AiTask<Input, Answer> = Readonly<{
  /** `<context>.<task>` (`feedback.triage`): what the local provider looks its implementation up by. */
  name: string;
  /** The answer's shape: providers derive their response format from it, the chain validates every answer with it. */
  answer: z.ZodType<Answer>;
  describe(input: Input): AiPrompt;
}>;

/** A task of any input and answer, for code that only looks at its name or schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Input is contravariant: no other type accepts every task.
export type AnyAiTask = AiTask<any, unknown>;

export interface AiProvider {
  /** Stable name, recorded in the events it contributes to (`local`, `gemini`, ...). */
  readonly name: string;
  /**
   * Answers from code in this process that runs to its end at once (the local provider): it cannot hang, so the
   * chain calls it without a timeout, whose timer and abort would cost more than the answer.
   */
  readonly answersInProcess?: boolean;
  /** Which model answers the task (`gemini-2.0-flash`, `local-corrections-v1`), as the events record it; omitted: the provider's name. */
  modelFor?(task: AnyAiTask): string;
  /** Whether it can run this task at all; the chain skips it otherwise, without counting a failure. */
  supports(task: AnyAiTask): boolean;
  /**
   * The raw answer, validated by the chain against `task.answer`.
   * @throws ProviderUnavailable when it cannot be reached or used now; any other error for a failure on this input.
   */
  run<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal: AbortSignal): Promise<unknown>;
}

/** What a provider throws when it cannot be reached or is overloaded (network, 429, 5xx): not the input's fault. */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable';
}

export type ProviderHealth = Readonly<{
  name: string;
  calls: number;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
  circuit: 'closed' | 'open' | 'half_open';
  /** When a call last answered or failed (skips do not count); null before the first call. */
  lastCheckedAt: string | null;
  /** Mean duration of its calls, failures included; null before the first call. */
  meanLatencyMs: number | null;
  /** Its circuit is closed and its latest call, if any, answered. */
  healthy: boolean;
}>;
