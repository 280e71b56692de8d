// The audit read model: given recorded AuditRecorded events, one row each in audit_entries, and the same rows when
// the events are applied again.
import test from 'ava';
import type { Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { AuditActor, AuditEntry, AuditRecorded } from '../../domain/identity/audit-events.js';
import { auditProjection } from '../../projections/identity/audit-projection.js';
import type { AuditEntriesTable } from '../../projections/identity/identity-schema.js';
import { ProjectionSpecification, recordedEventLog, type RecordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(auditProjection, { audit_entries: ['event_id'] });

const forbidden: AuditEntry = {
  type: 'auth.forbidden',
  actor: { sub: 'user-1', roles: ['viewer'] },
  method: 'POST',
  route: '/v1/ops/dead-letters/:id/retry',
  ip: '203.0.113.7',
  correlationId: 'corr-1',
  reason: 'AUTH.FORBIDDEN',
  subject: null,
  count: 1,
  occurredAt: '2026-11-20T09:30:00.000Z',
};

/** An audit writer's stream (`audit-<writer id>`) in a log. */
function writer(log: RecordedEventLog = recordedEventLog()) {
  const stream = `audit-${uuidv7()}`;
  return (entry: Partial<AuditEntry> = {}) => log.record(stream, { type: 'AuditRecorded', data: { ...forbidden, ...entry } } satisfies AuditRecorded);
}

type AuditRow = Selectable<AuditEntriesTable>;

/** The row an event of `writer()` leaves. */
const rowOf = (event: RecordedEvent<AuditEntry>): AuditRow => ({
  event_id: event.eventId,
  type: event.data.type,
  actor_sub: event.data.actor.sub,
  actor: event.data.actor,
  method: event.data.method,
  route: event.data.route,
  ip: event.data.ip,
  correlation_id: event.data.correlationId,
  reason: event.data.reason,
  subject: event.data.subject,
  count: event.data.count,
  occurred_at: new Date(event.data.occurredAt),
});

/** Rows in the specification's key order. */
const byEventId = (rows: AuditRow[]): AuditRow[] => rows.sort((a, b) => (a.event_id < b.event_id ? -1 : 1));

test('given an entry, then one row with the actor apart and whole', async (t) => {
  const record = writer();
  const event = record();
  await spec.given([event]).then(t, {
    audit_entries: [
      {
        event_id: event.eventId,
        type: 'auth.forbidden',
        actor_sub: 'user-1',
        actor: { sub: 'user-1', roles: ['viewer'] },
        method: 'POST',
        route: '/v1/ops/dead-letters/:id/retry',
        ip: '203.0.113.7',
        correlation_id: 'corr-1',
        reason: 'AUTH.FORBIDDEN',
        subject: null,
        count: 1,
        occurred_at: new Date('2026-11-20T09:30:00.000Z'),
      },
    ],
  });
});

test('given entries of two writers in one batch, then one row each, subjects and counts kept', async (t) => {
  const log = recordedEventLog();
  const [first, second] = [writer(log), writer(log)];
  const events = [
    first({ type: 'apikey.created', actor: { sub: 'user-2', roles: ['admin'], apiKeyId: uuidv7() }, subject: `apikey:${uuidv7()}`, reason: 'created' }),
    second({ type: 'audit.suppressed', actor: { sub: 'anonymous' }, count: 57, occurredAt: '2026-11-20T09:31:00.000Z' }),
    first({ type: 'auth.login_failed', actor: { sub: 'anonymous' }, reason: 'AUTH.INVALID_CREDENTIALS' }),
  ];
  await spec.given(events).then(t, { audit_entries: byEventId(events.map(rowOf)) });
});

test('given entries, when some are delivered again, then nothing is inserted twice or changed', async (t) => {
  const record = writer();
  const [a, b] = [record(), record({ type: 'auth.locked_out', occurredAt: '2026-11-20T09:35:00.000Z' })];
  await spec
    .given([a, b])
    .when([a, b, a])
    .then(t, { audit_entries: byEventId([rowOf(a), rowOf(b)]) });
});

test('given an entry whose actor carries more than who, roles and key, then the row keeps only those', async (t) => {
  const record = writer();
  const actor = { sub: 'user-3', apiKeyId: '0190f7a2-0000-7000-8000-000000000001', token: 'do-not-keep' } as AuditActor;
  const event = record({ actor });
  await spec.given([event]).then(t, {
    audit_entries: [{ ...rowOf(event), actor: { sub: 'user-3', apiKeyId: '0190f7a2-0000-7000-8000-000000000001' } }],
  });
});
