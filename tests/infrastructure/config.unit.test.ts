import test from 'ava';
import path from 'node:path';
import { ConfigError, describeDatabase, loadConfig } from '../../infrastructure/config.js';

test('defaults give the embedded profile on port 3000 with data under ./.chorus', (t) => {
  const config = loadConfig({});
  t.like(config, { port: 3000, host: '127.0.0.1', databaseUrl: undefined, minPositionTimeoutMs: 5000 });
  t.is(config.dataDir, path.resolve('.chorus'));
});

test('projection batches are larger on a PostgreSQL server than on PGlite, unless set', (t) => {
  t.is(loadConfig({}).projectionBatchSize, 500);
  t.is(loadConfig({ DATABASE_URL: 'postgres://db/chorus' }).projectionBatchSize, 2000);
  t.is(loadConfig({ DATABASE_URL: 'postgres://db/chorus', CHORUS_PROJECTION_BATCH_SIZE: '300' }).projectionBatchSize, 300);
  t.throws(() => loadConfig({ CHORUS_PROJECTION_BATCH_SIZE: '0' }), { instanceOf: ConfigError, message: /CHORUS_PROJECTION_BATCH_SIZE/ });
});

test('an empty variable counts as unset', (t) => {
  t.is(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
});

test('a bad value stops start-up with a message naming the variable, never its value', (t) => {
  const error = t.throws(() => loadConfig({ PORT: '70000', DATABASE_URL: 'mysql://user:s3cret@db/x', LOG_LEVEL: 'loud' }), {
    instanceOf: ConfigError,
  });
  t.regex(error!.message, /PORT/);
  t.regex(error!.message, /DATABASE_URL/);
  t.regex(error!.message, /LOG_LEVEL/);
  t.notRegex(error!.message, /s3cret/);
});

test('the database description used in logs carries no credentials', (t) => {
  const description = describeDatabase(loadConfig({ DATABASE_URL: 'postgres://chorus:s3cret@db.internal:5432/chorus' }));
  t.is(description, 'PostgreSQL at db.internal:5432/chorus');
});

test('the EventStoreDB store needs its URL and a PostgreSQL for the read models', (t) => {
  t.throws(() => loadConfig({ CHORUS_EVENT_STORE: 'esdb', DATABASE_URL: 'postgres://db/x' }), { instanceOf: ConfigError, message: /CHORUS_ESDB_URL/ });
  t.throws(() => loadConfig({ CHORUS_EVENT_STORE: 'esdb', CHORUS_ESDB_URL: 'esdb://es:2113?tls=false' }), { instanceOf: ConfigError, message: /DATABASE_URL/ });
  t.like(loadConfig({ CHORUS_EVENT_STORE: 'esdb', CHORUS_ESDB_URL: 'esdb://es:2113?tls=false', DATABASE_URL: 'postgres://db/x' }), { eventStore: 'esdb' });
});

test('lists are split on commas, each entry validated', (t) => {
  const config = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9092', DATABASE_REPLICA_URLS: 'postgres://r1/x,postgres://r2/x' });
  t.deepEqual(config.kafkaBrokers, ['k1:9092', 'k2:9092']);
  t.deepEqual(config.replicaUrls, ['postgres://r1/x', 'postgres://r2/x']);
  t.throws(() => loadConfig({ KAFKA_BROKERS: 'k1' }), { instanceOf: ConfigError, message: /KAFKA_BROKERS/ });
  t.throws(() => loadConfig({ DATABASE_REPLICA_URLS: 'mysql://r/x' }), { instanceOf: ConfigError, message: /DATABASE_REPLICA_URLS/ });
});
