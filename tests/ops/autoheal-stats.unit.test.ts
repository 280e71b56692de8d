import test from 'ava';
import { autohealStats, type AutohealAttempt } from '../../domain/ops/autoheal-events.js';

const attempt = (target: string, ok: boolean, at: string): AutohealAttempt => ({ id: at, at, target, role: 'projector', reason: 'stalled', action: 'restart', ok, message: '', by: 'test' });

test('no attempts: zeros, no rate, nothing most healed', (t) => {
  t.deepEqual(autohealStats([]), { total_attempts: 0, successful: 0, failed: 0, success_rate: null, per_target: {}, most_healed: null });
});

test('counts per target, the success rate, and the most healed (the first to get there on a tie)', (t) => {
  const stats = autohealStats([attempt('relay', false, 't1'), attempt('projection.feed', true, 't2'), attempt('relay', true, 't3'), attempt('projection.feed', false, 't4')]);
  t.like(stats, { total_attempts: 4, successful: 2, failed: 2, success_rate: 0.5, most_healed: { target: 'relay', attempts: 2 } });
  t.deepEqual(stats.per_target, {
    relay: { attempts: 2, successful: 1, failed: 1, last_at: 't3' },
    'projection.feed': { attempts: 2, successful: 1, failed: 1, last_at: 't4' },
  });
});
