// A busy lead: its stream grows with activities, so commands load it from a snapshot, and decide as a full read would.
import test from 'ava';
import { archiveLead, changeLeadDetails, changeLeadStatus, createLead, logActivity } from '../../application/crm/lead-commands.js';
import { foldStream } from '../../application/kernel/fold-stream.js';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import { leadDecider } from '../../domain/crm/lead-commands.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { PostgresSnapshotStore } from '../../infrastructure/eventstore/snapshot-table.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';

const context = { correlationId: 'lead-snapshots', causationId: null, actor: { sub: 'agent-1', roles: ['agent' as const] } };

test('after 100 events a snapshot of the lead is kept, and later commands decide from it as from the whole stream', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  t.teardown(drop);
  let found = 0;
  const snapshots = new PostgresSnapshotStore(database.db, { onLoad: (hit) => void (found += hit ? 1 : 0), onSave: () => undefined });
  const deps: CommandDependencies = { store: new PostgresEventStore(database, { pollIntervalMs: 100 }), ids: uuidV7Ids, clock: systemClock, upcasting, snapshots };
  const { id } = await createLead(deps, { name: 'Busy', email: null, phone: null, company: 'Acme', source: null, valueCents: 100 }, context);
  await changeLeadStatus(deps, id, { status: 'contacted', reason: null }, context);
  for (let n = 0; n < 100; n++) await logActivity(deps, id, { kind: 'note', text: `note ${n}`, occurredAt: null }, context);
  const kept = await database.db.selectFrom('snapshots').selectAll().where('stream_id', '=', `lead-${id}`).executeTakeFirstOrThrow();
  t.is(Number(kept.revision), 99);
  t.like(kept.state, { status: 'contacted', leadId: id, archived: false, details: { company: 'Acme', valueCents: 100 } });

  const before = found;
  await t.throwsAsync(changeLeadStatus(deps, id, { status: 'won', reason: null }, context), { message: /cannot go from contacted to won/ });
  await changeLeadDetails(deps, id, { company: 'Acme Corp' }, context);
  await archiveLead(deps, id, context);
  t.true(found > before, 'they started from the snapshot');
  const { state } = await foldStream(deps.store, leadDecider, `lead-${id}`);
  t.like(state, { status: 'contacted', archived: true, details: { company: 'Acme Corp' } });
});
