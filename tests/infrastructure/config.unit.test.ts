import test from 'ava';
import path from 'node:path';
import { ConfigError, describeDatabase, loadConfig } from '../../infrastructure/config.js';

test('defaults give the embedded profile on port 3000 with data under ./.chorus', (t) => {
  const config = loadConfig({});
  t.like(config, { port: 3000, host: '127.0.0.1', databaseUrl: undefined, minPositionTimeoutMs: 5000 });
  t.is(config.dataDir, path.resolve('.chorus'));
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
