// The AI provider chain: providers tried in order, each call under a timeout, each provider behind
// its own circuit breaker, so one slow or failing model costs a bounded delay instead of an outage.
import { FEEDBACK_CATEGORIES, SENTIMENTS } from '../../domain/feedback/events.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { AiProvider, FeedbackAnalysis, ProviderHealth } from '../ports/ai-provider.js';
import type { Clock } from '../ports/clock.js';
import { describeError } from '../kernel/describe-error.js';

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

export type ChainedAnalysis = FeedbackAnalysis & { provider: string };

/** `unavailable`: the provider was skipped, timed out or said it is unavailable; it said nothing about the input. */
export type ProviderAttempt = Readonly<{ provider: string; reason: string; unavailable: boolean }>;

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

/** What a provider throws when it cannot be reached or is overloaded (network, 429, 5xx): not the input's fault. */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable';
}

type CircuitState =
  | { status: 'closed' }
  | { status: 'open'; openedAt: number }
  /** `trialInFlight`: the single call that decides whether the circuit closes again. */
  | { status: 'half_open'; trialInFlight: boolean };

type ProviderState = {
  readonly provider: AiProvider;
  calls: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  circuit: CircuitState;
};

/** A provider is external code: what it returns is checked before it becomes an event. */
function invalidAnalysis(analysis: FeedbackAnalysis): string | null {
  if (!(FEEDBACK_CATEGORIES as readonly string[]).includes(analysis.category)) return `unknown category ${JSON.stringify(analysis.category)}`;
  if (!(SENTIMENTS as readonly string[]).includes(analysis.sentiment)) return `unknown sentiment ${JSON.stringify(analysis.sentiment)}`;
  if (!Number.isFinite(analysis.confidence) || analysis.confidence < 0 || analysis.confidence > 1) {
    return `confidence ${String(analysis.confidence)} is outside 0..1`;
  }
  return null;
}

class ProviderTimedOut extends Error {}
class InvalidProviderAnswer extends Error {}

/** Settles with the work, or rejects as soon as the signal aborts: a provider that ignores its signal cannot hold the chain. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export class ProviderChain {
  readonly #states: readonly ProviderState[];
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
    this.#states = providers.map((provider) => ({
      provider,
      calls: 0,
      failures: 0,
      consecutiveFailures: 0,
      lastError: null,
      lastErrorAt: null,
      circuit: { status: 'closed' },
    }));
  }

  /**
   * The first provider that answers, with its name. A caller's abort stops the chain and rejects with
   * the signal's reason, charging no provider; otherwise, when no provider answers, AllProvidersFailed.
   */
  async analyzeFeedback(text: string, signal?: AbortSignal): Promise<ChainedAnalysis> {
    const attempts: ProviderAttempt[] = [];
    for (const state of this.#states) {
      signal?.throwIfAborted();
      const name = state.provider.name;
      const skipReason = this.#admit(state);
      if (skipReason !== null) {
        attempts.push({ provider: name, reason: skipReason, unavailable: true });
        this.#report(name, 'skipped');
        continue;
      }
      state.calls += 1;
      try {
        const analysis = await this.#call(state.provider, text, signal);
        this.#succeeded(state);
        this.#report(name, 'success');
        return { category: analysis.category, sentiment: analysis.sentiment, confidence: analysis.confidence, provider: name };
      } catch (error) {
        if (signal?.aborted === true) {
          this.#abandoned(state);
          throw signal.reason;
        }
        const reason = describeError(error);
        this.#failed(state, reason);
        attempts.push({ provider: name, reason, unavailable: error instanceof ProviderTimedOut || error instanceof ProviderUnavailable });
        this.#report(name, 'failure');
      }
    }
    throw new AllProvidersFailed(attempts);
  }

  /** One entry per provider, in chain order; an open circuit whose time is up shows as half_open. */
  health(): ProviderHealth[] {
    return this.#states.map((state) => {
      this.#refreshCircuit(state);
      return {
        name: state.provider.name,
        calls: state.calls,
        failures: state.failures,
        lastError: state.lastError,
        lastErrorAt: state.lastErrorAt,
        circuit: state.circuit.status,
      };
    });
  }

  async #call(provider: AiProvider, text: string, callerSignal: AbortSignal | undefined): Promise<FeedbackAnalysis> {
    const { timeoutMs } = this.#options;
    // A timer of our own rather than AbortSignal.timeout(): that one is unref'd, so a provider hung
    // without I/O in an otherwise idle process (a CLI run) would let the process exit with the call
    // pending instead of failing over; this one is also cleared as soon as the call settles.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const signal = callerSignal === undefined ? timeout.signal : AbortSignal.any([callerSignal, timeout.signal]);
    let analysis: FeedbackAnalysis;
    try {
      // An async wrapper turns a provider that throws synchronously into a rejection like any other.
      analysis = await untilAborted((async () => provider.analyzeFeedback(text, signal))(), signal);
    } catch (error) {
      if (timeout.signal.aborted && callerSignal?.aborted !== true) {
        throw new ProviderTimedOut(`timed out after ${timeoutMs} ms`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const problem = invalidAnalysis(analysis);
    if (problem !== null) throw new InvalidProviderAnswer(`invalid analysis: ${problem}`);
    return analysis;
  }

  /** null when the provider may be called now; otherwise why it is skipped. Claims the half-open trial. */
  #admit(state: ProviderState): string | null {
    this.#refreshCircuit(state);
    const circuit = state.circuit;
    switch (circuit.status) {
      case 'closed':
        return null;
      case 'open':
        return `circuit open until ${new Date(circuit.openedAt + this.#options.openMs).toISOString()} (last error: ${state.lastError ?? 'none'})`;
      case 'half_open':
        if (circuit.trialInFlight) return 'circuit half-open, trial call in progress';
        state.circuit = { status: 'half_open', trialInFlight: true };
        return null;
      default:
        return assertNever(circuit);
    }
  }

  #refreshCircuit(state: ProviderState): void {
    const circuit = state.circuit;
    if (circuit.status === 'open' && this.#now() - circuit.openedAt >= this.#options.openMs) {
      state.circuit = { status: 'half_open', trialInFlight: false };
    }
  }

  #succeeded(state: ProviderState): void {
    state.consecutiveFailures = 0;
    state.circuit = { status: 'closed' };
  }

  #failed(state: ProviderState, reason: string): void {
    state.failures += 1;
    state.consecutiveFailures += 1;
    state.lastError = reason;
    state.lastErrorAt = this.#options.clock.now().toISOString();
    // A failed trial re-opens at once; a closed circuit opens at the threshold.
    if (state.circuit.status === 'half_open' || state.consecutiveFailures >= this.#options.failureThreshold) {
      state.circuit = { status: 'open', openedAt: this.#now() };
    }
  }

  /** The caller gave up: the call proves nothing, so a trial it was running goes back to waiting. */
  #abandoned(state: ProviderState): void {
    if (state.circuit.status === 'half_open') state.circuit = { status: 'half_open', trialInFlight: false };
  }

  #report(provider: string, outcome: ProviderCallOutcome): void {
    try {
      this.#options.onCall?.(provider, outcome);
    } catch {
      // A broken metrics hook must not turn a good answer into a failure, nor a failure into a crash.
    }
  }

  #now(): number {
    return this.#options.clock.now().getTime();
  }
}
