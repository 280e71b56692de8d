// The rule that parts schema 1's free-text source into channel and app version, and the source old clients read back.
import test from 'ava';
import { joinSource, splitSource } from '../../domain/feedback/source.js';
import { SOURCE_CASES } from './feedback-sources.js';

for (const [source, channel, appVersion] of SOURCE_CASES) {
  test(`splitSource(${JSON.stringify(source)}) is channel ${JSON.stringify(channel)}, app version ${JSON.stringify(appVersion)}`, (t) => {
    t.deepEqual(splitSource(source), { channel, appVersion });
  });
}

test('the source old clients read is channel and app version, space-separated, and null without either', (t) => {
  t.is(joinSource({ channel: 'android', appVersion: '1.4.0' }), 'android 1.4.0');
  t.is(joinSource({ channel: 'web', appVersion: null }), 'web');
  t.is(joinSource({ channel: null, appVersion: '2.3.1' }), '2.3.1');
  t.is(joinSource({ channel: null, appVersion: null }), null);
});

test('a source joined from a split parts the same way again', (t) => {
  for (const [source] of SOURCE_CASES) {
    const origin = splitSource(source);
    if (origin.appVersion !== null) t.deepEqual(splitSource(joinSource(origin)), origin, String(source));
  }
});
