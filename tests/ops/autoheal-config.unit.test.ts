import test from 'ava';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';

test('auto-heal and peers: defaults', (t) => {
  t.like(loadConfig({}), { autohealIntervalMs: 10_000, autohealStallMs: 120_000, peerTimeoutMs: 1500 });
  t.deepEqual(loadConfig({}).autohealTargets, ['api', 'relay', 'projector', 'enricher']);
  t.deepEqual(loadConfig({}).peers, []);
});

test('auto-heal targets and peers are comma-separated lists', (t) => {
  const config = loadConfig({ CHORUS_AUTOHEAL_TARGETS: 'projector, enricher', CHORUS_PEERS: 'http://10.0.0.2:3001/health/ready,https://p.example.com/health/ready' });
  t.deepEqual(config.autohealTargets, ['projector', 'enricher']);
  t.deepEqual(config.peers, ['http://10.0.0.2:3001/health/ready', 'https://p.example.com/health/ready']);
});

for (const [variable, value] of [
  ['CHORUS_AUTOHEAL_TARGETS', 'projector,worker'],
  ['CHORUS_AUTOHEAL_INTERVAL_MS', '10'],
  ['CHORUS_AUTOHEAL_STALL_MS', 'soon'],
  ['CHORUS_PEERS', 'ftp://x/health/ready'],
  ['CHORUS_PEER_TIMEOUT_MS', '0'],
] as const) {
  test(`a bad ${variable} stops start-up naming it`, (t) => {
    const error = t.throws(() => loadConfig({ [variable]: value }), { instanceOf: ConfigError });
    t.regex(error!.message, new RegExp(variable));
  });
}
