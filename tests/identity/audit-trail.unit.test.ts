// The audit trail writer: batches into one stream of its own, samples refusals per source, counts everything.
import test from 'ava';
import { AuditTrail, type AuditInput } from '../../application/identity/audit-trail.js';
import type { EventStore, NewEvent } from '../../application/ports/event-store.js';
import type { AuditEntry } from '../../domain/identity/audit-events.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { upcasting } from '../support/upcasting.js';

type Append = { streamId: string; events: readonly NewEvent[]; expected: unknown };

function fakeStore(fail: () => Error | null = () => null) {
  const appends: Append[] = [];
  const store = {
    async append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: unknown }) {
      const error = fail();
      if (error !== null) throw error;
      appends.push({ streamId, events, expected: options.expectedRevision });
      return { nextRevision: appends.filter((a) => a.streamId === streamId).reduce((n, a) => n + a.events.length, 0) - 1, position: String(appends.length) };
    },
  } as unknown as EventStore;
  return { store, appends, entries: () => appends.flatMap((a) => a.events.map((e) => e.data as AuditEntry)) };
}

const clockAt = (ms: { now: number }) => ({ now: () => new Date(ms.now) });

const refusal = (ip: string, type: AuditInput['type'] = 'auth.unauthenticated'): AuditInput => ({
  type,
  actor: { sub: 'anonymous' },
  method: 'GET',
  route: '/v1/audit',
  ip,
  correlationId: 'c',
  reason: 'AUTH.REQUIRED',
  subject: null,
});

test('entries are written in batches to the writer\'s own stream, each append expecting the revision the last one left', async (t) => {
  const { store, appends, entries } = fakeStore();
  const time = { now: Date.parse('2026-12-02T10:00:00Z') };
  const trail = new AuditTrail(store, uuidV7Ids, clockAt(time), upcasting, { flushMs: 60_000, allowancePerMinute: 100, maxPending: 1000 });
  const first = [trail.record(refusal('10.0.0.1')), trail.record({ ...refusal('10.0.0.2'), type: 'user.roles_changed', subject: 'user:u' })];
  await trail.close();
  await Promise.all(first);
  t.is(appends.length, 1, 'one append for the batch');
  t.regex(appends[0]!.streamId, /^audit-[0-9a-f-]{36}$/);
  t.is(appends[0]!.expected, 'no_stream');
  t.deepEqual(entries().map((e) => [e.type, e.count, e.occurredAt]), [
    ['auth.unauthenticated', 1, '2026-12-02T10:00:00.000Z'],
    ['user.roles_changed', 1, '2026-12-02T10:00:00.000Z'],
  ]);
});

test('refusals past the allowance of one source in a minute are counted into one audit.suppressed entry; other sources and changes are untouched; the metric counts all', async (t) => {
  const { store, entries } = fakeStore();
  const time = { now: Date.parse('2026-12-02T10:00:00Z') };
  const counted: string[] = [];
  const trail = new AuditTrail(store, uuidV7Ids, clockAt(time), upcasting, { flushMs: 60_000, allowancePerMinute: 3, maxPending: 1000, onEntry: (type) => counted.push(type) });
  for (let n = 0; n < 10; n++) void trail.record(refusal('10.0.0.9'));
  for (let n = 0; n < 2; n++) void trail.record(refusal('10.0.0.9', 'auth.forbidden'));
  void trail.record(refusal('10.0.0.8'));
  for (let n = 0; n < 5; n++) void trail.record({ ...refusal('10.0.0.9'), type: 'apikey.created', subject: `apikey:${n}` });
  await trail.close();
  const written = entries();
  t.is(counted.length, 18, 'every entry is counted, sampled or not');
  t.is(written.filter((e) => e.type === 'auth.unauthenticated' && e.ip === '10.0.0.9').length, 3, 'the allowance');
  t.is(written.filter((e) => e.ip === '10.0.0.8').length, 1);
  t.is(written.filter((e) => e.type === 'apikey.created').length, 5, 'changes are never sampled');
  const suppressed = written.filter((e) => e.type === 'audit.suppressed');
  t.deepEqual(suppressed.map((e) => [e.subject, e.count, e.ip]).sort(), [['auth.forbidden', 2, '10.0.0.9'], ['auth.unauthenticated', 7, '10.0.0.9']]);
  const total = written.reduce((sum, e) => sum + e.count, 0);
  t.is(total, 18, 'the counts add up to every entry');
});

test('a new minute gets a new allowance', async (t) => {
  const { store, entries } = fakeStore();
  const time = { now: Date.parse('2026-12-02T10:00:00Z') };
  const trail = new AuditTrail(store, uuidV7Ids, clockAt(time), upcasting, { flushMs: 60_000, allowancePerMinute: 1, maxPending: 1000 });
  void trail.record(refusal('10.0.0.9'));
  void trail.record(refusal('10.0.0.9'));
  time.now += 61_000;
  void trail.record(refusal('10.0.0.9'));
  await trail.close();
  t.deepEqual(entries().map((e) => [e.type, e.count]), [
    ['auth.unauthenticated', 1],
    ['audit.suppressed', 1],
    ['auth.unauthenticated', 1],
  ]);
});

test('while the store fails, entries wait (bounded: the excess is dropped and counted) and go out once it answers', async (t) => {
  let failing = true;
  const { store, entries } = fakeStore(() => (failing ? new Error('connection lost') : null));
  let dropped = 0;
  const errors: unknown[] = [];
  const trail = new AuditTrail(store, uuidV7Ids, clockAt({ now: Date.now() }), upcasting, { flushMs: 10, allowancePerMinute: 100, maxPending: 3, onDropped: (n) => (dropped += n), onError: (e) => errors.push(e) });
  const kept = [0, 1, 2].map((n) => trail.record({ ...refusal('10.0.0.1'), type: 'apikey.revoked', subject: `apikey:${n}` }));
  await t.throwsAsync(trail.record({ ...refusal('10.0.0.1'), type: 'apikey.revoked', subject: 'apikey:3' }), { message: /backed up/ });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.true(errors.length > 0);
  failing = false;
  const alive = setInterval(() => undefined, 1000); // the trail's own timer does not hold the process open
  await Promise.all(kept);
  clearInterval(alive);
  await trail.close();
  t.is(dropped, 1);
  t.deepEqual(entries().map((e) => e.subject), ['apikey:0', 'apikey:1', 'apikey:2']);
});

test('should another writer have appended to its stream, it goes on in a new one', async (t) => {
  let conflicts = 1;
  const { store, appends } = fakeStore(() => (conflicts-- > 0 ? new WrongExpectedRevision('audit-x', 'no_stream', 0) : null));
  const trail = new AuditTrail(store, uuidV7Ids, clockAt({ now: Date.now() }), upcasting, { flushMs: 10, allowancePerMinute: 100, maxPending: 100 });
  await trail.record({ ...refusal('10.0.0.1'), type: 'user.roles_changed', subject: 'user:u' });
  await trail.close();
  t.is(appends.length, 1);
  t.is(appends[0]!.expected, 'no_stream');
});

test('an append whose answer was lost is retried with the same event ids, so the store keeps one copy', async (t) => {
  const attempts: string[][] = [];
  const store = {
    async append(_streamId: string, events: readonly NewEvent[]) {
      attempts.push(events.map((event) => event.eventId));
      if (attempts.length === 1) throw new Error('connection lost after the commit');
      return { nextRevision: events.length - 1, position: '1' };
    },
  } as unknown as EventStore;
  const trail = new AuditTrail(store, uuidV7Ids, clockAt({ now: Date.now() }), upcasting, { flushMs: 10, allowancePerMinute: 100, maxPending: 100 });
  const alive = setInterval(() => undefined, 1000);
  await trail.record({ ...refusal('10.0.0.1'), type: 'user.roles_changed', subject: 'user:u' });
  clearInterval(alive);
  await trail.close();
  t.is(attempts.length, 2);
  t.deepEqual(attempts[1], attempts[0]);
});
