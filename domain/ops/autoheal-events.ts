// Auto-heal attempts: what the supervisor did about a worker (or `chorus supervise` about a child process) that
// crashed, stalled or kept failing its health check. One stream per attempt (`autoheal-<id>`): attempts never
// conflict with one another, and history and stats are a read of the `autoheal` category.
import type { Event } from '../kernel/decider.js';

export const AUTOHEAL_CATEGORY = 'autoheal';

export const AUTOHEAL_REASONS = ['crashed', 'stalled', 'failing-health', 'exited'] as const;
export type AutohealReason = (typeof AUTOHEAL_REASONS)[number];

export const AUTOHEAL_ACTIONS = ['restart'] as const;
export type AutohealAction = (typeof AUTOHEAL_ACTIONS)[number];

export type AutoHealAttempted = Event<
  'AutoHealAttempted',
  {
    /** The worker (a projection, an enricher, `relay`) or the child process (`api`, `projector`…) healed. */
    target: string;
    /** The role the target belongs to. */
    role: string;
    reason: AutohealReason;
    action: AutohealAction;
    /** Whether the target was back (running, or answering its health check) after the action. */
    ok: boolean;
    message: string;
    /** Which process healed it: `<host> pid <pid>`. */
    by: string;
  }
>;

export const autohealStreamId = (attemptId: string): string => `${AUTOHEAL_CATEGORY}-${attemptId}`;

export type AutohealAttempt = AutoHealAttempted['data'] & Readonly<{ id: string; at: string }>;

export type AutohealStats = Readonly<{
  total_attempts: number;
  successful: number;
  failed: number;
  /** successful / total_attempts, 0 to 1; null before any attempt. */
  success_rate: number | null;
  per_target: Readonly<Record<string, Readonly<{ attempts: number; successful: number; failed: number; last_at: string }>>>;
  /** The target with the most attempts (the earliest to get there on a tie); null before any attempt. */
  most_healed: Readonly<{ target: string; attempts: number }> | null;
}>;

/** Stats of attempts given in the order they happened. */
export function autohealStats(attempts: readonly AutohealAttempt[]): AutohealStats {
  const perTarget: Record<string, { attempts: number; successful: number; failed: number; last_at: string }> = {};
  let successful = 0;
  let most: { target: string; attempts: number } | null = null;
  for (const attempt of attempts) {
    const entry = (perTarget[attempt.target] ??= { attempts: 0, successful: 0, failed: 0, last_at: attempt.at });
    entry.attempts++;
    entry.last_at = attempt.at;
    if (attempt.ok) {
      entry.successful++;
      successful++;
    } else entry.failed++;
    if (most === null || entry.attempts > most.attempts) most = { target: attempt.target, attempts: entry.attempts };
  }
  const total = attempts.length;
  return {
    total_attempts: total,
    successful,
    failed: total - successful,
    success_rate: total === 0 ? null : successful / total,
    per_target: perTarget,
    most_healed: most,
  };
}
