// NOTIFY after the fact, merged, and signed: another process hears every payload, its sender does not.
import test from 'ava';
import { openPostgres } from '../../infrastructure/db/database.js';
import { Notifier } from '../../infrastructure/db/notifier.js';
import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'NOTIFY between processes');

if (databaseUrl !== undefined) {
  test('payloads reach listeners of other processes, merged, and never their own sender', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    const other = openPostgres(testDb.url!, { poolMax: 2 });
    try {
      const sender = new Notifier(testDb.database, 'notifier_test');
      const receiver = new Notifier(other, 'notifier_test');
      const heardBySender: (string | undefined)[] = [];
      const heard: (string | undefined)[] = [];
      const stopSender = await sender.listen((payload) => heardBySender.push(payload));
      const stopReceiver = await receiver.listen((payload) => heard.push(payload));
      for (const payload of ['feedback', 'polls', 'feedback', 'feedback', 'with:colon']) sender.notify(payload);
      for (let attempt = 0; attempt < 200 && !['feedback', 'polls', 'with:colon'].every((p) => heard.includes(p)); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      t.deepEqual([...new Set(heard)].sort(), ['feedback', 'polls', 'with:colon'], 'every payload arrives, whole');
      t.true(heard.length < 5, `repeats announced while one NOTIFY was in flight are merged (${heard.length} heard)`);
      receiver.notify('back');
      for (let attempt = 0; attempt < 200 && !heardBySender.includes('back'); attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      t.true(heardBySender.includes('back'), 'the other way round too');
      t.false(heardBySender.some((payload) => payload !== 'back'), 'a sender passes over its own');
      await stopSender();
      await stopReceiver();
    } finally {
      await other.close();
      await testDb.drop();
    }
  });
}
