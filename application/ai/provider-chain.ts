// The AI provider chain: providers tried in order for any task, each call under a timeout, each provider behind
// its own circuit breaker (cockatiel), every answer checked against the task's schema. One slow, failing or
// babbling model costs a bounded delay instead of an outage, and a wrong answer never becomes an event.
import {
  CircuitState,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  type CircuitBreakerPolicy,
  type FailureReason,
  type IBackoff,
  type IBreaker,
  type IHalfOpenAfterBackoffContext,
  type TimeoutPolicy,
} from 'cockatiel';
import type { z } from 'zod';
import { describeError } from '../kernel/describe-error.js';
import { ProviderUnavailable, type AiProvider, type AiTask, type ProviderHealth } from '../ports/ai-provider.js';
import type { Clock } from '../ports/clock.js';

export type ProviderCallOutcome = 'success' | 'failure' | 'skipped';

export type ProviderChainOptions = Readonly<{
  clock: Clock;
  /** Per provider call; a provider that takes longer counts as failed and the next one is asked. */
  timeoutMs: number;
  /** Consecutive failures that open a provider's circuit. */
  failureThreshold: number;
  /** How long an open circuit skips its provider before one trial call is let through. */
  openMs: number;
  /** For metrics. Not called for a call the caller aborted: that says nothing about the provider. */
  onCall?: (provider: string, outcome: ProviderCallOutcome) => void;
}>;

/** `model`: what the provider says answered the task (see AiProvider.modelFor), else its name. */
export type ChainedAnswer<Answer> = Readonly<{ answer: Answer; provider: string; model: string }>;

/**
 * `unavailable`: the provider was skipped, timed out or said it is unavailable; it said nothing about the input.
 * `latencyMs`: how long the call took; 0 for a provider skipped without a call.
 */
export type ProviderAttempt = Readonly<{ provider: string; reason: string; unavailable: boolean; latencyMs: number }>;

/** One provider's turn in a call, as the orchestrator reports it: whether it answered, why not, how long it took. */
export type AttemptRecord = Readonly<{ provider: string; ok: boolean; error?: string; latencyMs: number }>;

/** The answer with every provider's turn that led to it, in chain order (the last one is the provider that answered). */
export type TracedAnswer<Answer> = ChainedAnswer<Answer> & Readonly<{ attempts: readonly AttemptRecord[] }>;

/** A failed attempt as the orchestrator reports it. */
export const attemptRecordOf = ({ provider, reason, latencyMs }: ProviderAttempt): AttemptRecord => ({ provider, ok: false, error: reason, latencyMs });

/** Every provider failed or was skipped; `attempts` says why, in chain order. */
export class AllProvidersFailed extends Error {
  readonly code = 'AI.ALL_PROVIDERS_FAILED';

  constructor(readonly attempts: readonly ProviderAttempt[]) {
    super(`All AI providers failed: ${attempts.map(({ provider, reason }) => `${provider}: ${reason}`).join('; ')}`);
    this.name = 'AllProvidersFailed';
  }

  /**
   * No provider turned the input down: each was skipped, timed out or unavailable, so the same call may well
   * succeed later. Otherwise some provider failed on this very input, which retrying will not change.
   */
  get unavailable(): boolean {
    return this.attempts.every((attempt) => attempt.unavailable);
  }
}

class ProviderTimedOut extends Error {}
class InvalidProviderAnswer extends Error {}
/** The caller gave up mid-call: the breaker must neither count it nor let it decide a half-open trial. */
class CallerAborted extends Error {}

/** The signal of a caller that gives none. */
const NEVER_ABORTED = new AbortController().signal;

const wasCallerAborted = (failure: FailureReason<unknown> | undefined): boolean =>
  failure !== undefined && 'error' in failure && failure.error instanceof CallerAborted;

/** Opens after `threshold` consecutive failures; a caller's abort is no failure. */
class ConsecutiveFailures implements IBreaker {
  state = 0;

  constructor(
    private readonly threshold: number,
    private readonly lastFailure: () => FailureReason<unknown> | undefined,
  ) {}

  success(): void {
    this.state = 0;
  }

  failure(): boolean {
    // cockatiel records the failure as lastFailure just before asking its breaker, synchronously.
    if (wasCallerAborted(this.lastFailure())) return false;
    this.state += 1;
    return this.state >= this.threshold;
  }
}

type Slot = {
  readonly provider: AiProvider;
  readonly breaker: CircuitBreakerPolicy;
  readonly timeout: TimeoutPolicy;
  /** Clock time (ms) from which an open circuit lets a trial call through. */
  reopensAt: number;
  calls: number;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
  /** Whether the latest call (not a skip) failed. */
  lastCallFailed: boolean;
  /** Summed over every call made, skips excluded: the mean latency's numerator. */
  totalLatencyMs: number;
};

const roundedMs = (ms: number): number => Math.round(ms * 10) / 10;

/** "Error at path: message" for each issue, with no input values: answers can quote the text they were given. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? 'answer' : issue.path.join('.')}: ${issue.message}`).join('; ');
}

export class ProviderChain {
  readonly #slots: readonly Slot[];
  readonly #options: ProviderChainOptions;

  constructor(providers: readonly AiProvider[], options: ProviderChainOptions) {
    if (providers.length === 0) throw new RangeError('ProviderChain needs at least one provider');
    const names = new Set(providers.map((provider) => provider.name));
    if (names.size !== providers.length) throw new RangeError('ProviderChain provider names must be unique: health is reported by name');
    if (!(options.timeoutMs > 0)) throw new RangeError('ProviderChain timeoutMs must be positive');
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('ProviderChain failureThreshold must be an integer of at least 1');
    }
    if (!(options.openMs >= 0)) throw new RangeError('ProviderChain openMs must not be negative');
    this.#options = options;
    this.#slots = providers.map((provider) => this.#slotOf(provider));
  }

  /**
   * The first valid answer to the task, with the name of the provider that gave it. A caller's abort stops the
   * chain and rejects with the signal's reason, charging no provider; otherwise, when none answers, AllProvidersFailed.
   */
  async run<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal?: AbortSignal): Promise<ChainedAnswer<Answer>> {
    const { answer, provider, model } = await this.runTraced(task, input, signal);
    return { answer, provider, model };
  }

  /** As run, with every provider's turn (ok, error, latency) that led to the answer; AllProvidersFailed carries theirs. */
  async runTraced<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal?: AbortSignal): Promise<TracedAnswer<Answer>> {
    const attempts: ProviderAttempt[] = [];
    const traced = (provider: string, latencyMs: number): AttemptRecord[] => [...attempts.map(attemptRecordOf), { provider, ok: true, latencyMs }];
    for (const slot of this.#slots) {
      signal?.throwIfAborted();
      const name = slot.provider.name;
      if (!slot.provider.supports(task)) {
        attempts.push({ provider: name, reason: `does not run ${task.name}`, unavailable: true, latencyMs: 0 });
        continue;
      }
      const skipReason = this.#skipReason(slot);
      if (skipReason !== null) {
        attempts.push({ provider: name, reason: skipReason, unavailable: true, latencyMs: 0 });
        this.#report(name, 'skipped');
        continue;
      }
      slot.calls += 1;
      // By the injected clock, as every other time here: tests with a manual clock see the latencies they script.
      const started = this.#options.clock.now().getTime();
      try {
        const answer = await slot.breaker.execute(() => this.#call(slot, task, input, signal));
        const latencyMs = this.#elapsedSince(started);
        slot.totalLatencyMs += latencyMs;
        slot.lastCallFailed = false;
        slot.lastSuccessAt = this.#options.clock.now().toISOString();
        this.#report(name, 'success');
        return { answer, provider: name, model: slot.provider.modelFor?.(task) ?? name, attempts: traced(name, latencyMs) };
      } catch (error) {
        // Counted before the abort check: an aborted call is among `calls`, so its time belongs in the mean.
        const latencyMs = this.#elapsedSince(started);
        slot.totalLatencyMs += latencyMs;
        if (signal?.aborted === true) throw signal.reason;
        const reason = describeError(error);
        slot.failures += 1;
        slot.lastCallFailed = true;
        slot.lastError = reason;
        slot.lastErrorAt = this.#options.clock.now().toISOString();
        attempts.push({ provider: name, reason, unavailable: error instanceof ProviderTimedOut || error instanceof ProviderUnavailable, latencyMs });
        this.#report(name, 'failure');
      }
    }
    throw new AllProvidersFailed(attempts);
  }

  /** One entry per provider, in chain order; an open circuit whose time is up shows as half_open. */
  health(): ProviderHealth[] {
    return this.#slots.map((slot) => {
      // Read once: the circuit goes by the clock, and healthy must agree with the circuit shown beside it.
      const circuit = this.#circuitOf(slot);
      return {
        name: slot.provider.name,
        calls: slot.calls,
        failures: slot.failures,
        lastError: slot.lastError,
        lastErrorAt: slot.lastErrorAt,
        lastSuccessAt: slot.lastSuccessAt,
        circuit,
        lastCheckedAt: laterOf(slot.lastErrorAt, slot.lastSuccessAt),
        meanLatencyMs: slot.calls === 0 ? null : roundedMs(slot.totalLatencyMs / slot.calls),
        healthy: circuit === 'closed' && !slot.lastCallFailed,
      };
    });
  }

  #slotOf(provider: AiProvider): Slot {
    const { clock, openMs, timeoutMs, failureThreshold } = this.#options;
    // The breaker asks its backoff whether an open circuit may try again; this one answers by the injected
    // clock rather than cockatiel's Date.now(), so health and tests agree on time. An abandoned trial
    // (the caller gave up) proved nothing: the next call may try again at once.
    const reopenAfter = (context: IHalfOpenAfterBackoffContext): IBackoff<IHalfOpenAfterBackoffContext> => {
      slot.reopensAt = clock.now().getTime() + (wasCallerAborted(context.result) ? 0 : openMs);
      return {
        get duration() {
          return clock.now().getTime() >= slot.reopensAt ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
        },
        next: reopenAfter,
      };
    };
    const breaker: CircuitBreakerPolicy = circuitBreaker(handleAll, {
      halfOpenAfter: { next: reopenAfter },
      breaker: new ConsecutiveFailures(failureThreshold, () => breaker.lastFailure),
    });
    const slot: Slot = {
      provider,
      breaker,
      // Aggressive: a provider that ignores its signal is abandoned at the deadline all the same. The timer is
      // cockatiel's own, kept referenced, so a hung call in an otherwise idle process still fails over.
      timeout: timeout(timeoutMs, TimeoutStrategy.Aggressive),
      reopensAt: 0,
      calls: 0,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
      lastSuccessAt: null,
      lastCallFailed: false,
      totalLatencyMs: 0,
    };
    return slot;
  }

  /**
   * One call under the timeout (unless the provider answers in process), its answer validated: what the breaker
   * counts as a success or a failure.
   */
  async #call<Input, Answer>(slot: Slot, task: AiTask<Input, Answer>, input: Input, callerSignal: AbortSignal | undefined): Promise<Answer> {
    let raw: unknown;
    try {
      // The signal the provider sees aborts at the timeout, when the caller aborts, and once the call returns.
      raw =
        slot.provider.answersInProcess === true
          ? await slot.provider.run(task, input, callerSignal ?? NEVER_ABORTED)
          : await slot.timeout.execute(({ signal }) => slot.provider.run(task, input, signal), callerSignal);
    } catch (error) {
      if (callerSignal?.aborted === true) throw new CallerAborted('the caller gave up', { cause: error });
      if (error instanceof TaskCancelledError) throw new ProviderTimedOut(`timed out after ${this.#options.timeoutMs} ms`, { cause: error });
      throw error;
    }
    const parsed = task.answer.safeParse(raw);
    if (!parsed.success) throw new InvalidProviderAnswer(`invalid answer to ${task.name}: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  /** null when the provider may be called now; otherwise why it is skipped. */
  #skipReason(slot: Slot): string | null {
    switch (slot.breaker.state) {
      case CircuitState.Closed:
        return null;
      case CircuitState.Open:
        // Time up: cockatiel lets this call through as the trial that decides whether the circuit closes.
        if (this.#isDue(slot)) return null;
        return `circuit open until ${new Date(slot.reopensAt).toISOString()} (last error: ${slot.lastError ?? 'none'})`;
      case CircuitState.HalfOpen:
        // cockatiel would queue this call behind the trial; a chain with a next provider should not wait.
        return 'circuit half-open, trial call in progress';
      case CircuitState.Isolated:
        return 'circuit isolated';
    }
  }

  #circuitOf(slot: Slot): ProviderHealth['circuit'] {
    switch (slot.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half_open';
      case CircuitState.Open:
        return this.#isDue(slot) ? 'half_open' : 'open';
      case CircuitState.Isolated:
        return 'open';
    }
  }

  #elapsedSince(started: number): number {
    return Math.max(0, this.#options.clock.now().getTime() - started);
  }

  #isDue(slot: Slot): boolean {
    return this.#options.clock.now().getTime() >= slot.reopensAt;
  }

  #report(provider: string, outcome: ProviderCallOutcome): void {
    try {
      this.#options.onCall?.(provider, outcome);
    } catch {
      // A broken metrics hook must not turn a good answer into a failure, nor a failure into a crash.
    }
  }
}

/** The later of two ISO instants of the same clock (either may be missing). */
const laterOf = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);
