import test from 'ava';
import type { Admin, Kafka } from 'kafkajs';
import { sharedAdmin } from '../../infrastructure/bus/kafka/kafka.js';

/** A Kafka client whose admins count their connections; `failConnect` makes the next connect fail. */
function fakeKafka() {
  const counts = { admins: 0, connects: 0, disconnects: 0, failConnect: false };
  const kafka = {
    admin: () => {
      counts.admins++;
      return {
        connect: async () => {
          counts.connects++;
          if (counts.failConnect) throw new Error('broker down');
        },
        disconnect: async () => {
          counts.disconnects++;
        },
      } as unknown as Admin;
    },
  } as unknown as Kafka;
  return { kafka, counts };
}

test('reads share one connection, opened on first use and closed with close()', async (t) => {
  const { kafka, counts } = fakeKafka();
  const admin = sharedAdmin(kafka);
  t.is(counts.connects, 0, 'nothing connects before the first read');
  const results = await Promise.all([1, 2, 3].map((n) => admin.use(async () => n)));
  t.deepEqual(results, [1, 2, 3]);
  await admin.use(async () => 4);
  t.is(counts.admins, 1);
  t.is(counts.connects, 1);
  t.is(counts.disconnects, 0);
  await admin.close();
  t.is(counts.disconnects, 1);
});

test('a failed read or connect drops the connection: the next read connects afresh', async (t) => {
  const { kafka, counts } = fakeKafka();
  const admin = sharedAdmin(kafka);
  await t.throwsAsync(() => admin.use(async () => Promise.reject(new Error('lost the broker'))), { message: 'lost the broker' });
  t.is(counts.disconnects, 1);
  counts.failConnect = true;
  await t.throwsAsync(() => admin.use(async () => 1), { message: 'broker down' });
  counts.failConnect = false;
  t.is(await admin.use(async () => 2), 2);
  t.is(counts.admins, 3);
  t.is(counts.connects, 3);
  await admin.close();
  await admin.close();
  t.is(counts.disconnects, 2, 'the one whose read failed and the last; an admin that never connected has nothing to close, nor has a second close');
});
