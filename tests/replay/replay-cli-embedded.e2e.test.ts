import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceUrl } from '../support/services.js';
import { replayCliSuite } from './replay-cli-suite.js';

replayCliSuite({
  name: 'embedded',
  prepare: async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'chorus-replay-data-'));
    return { env: { CHORUS_DATA_DIR: dataDir }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  },
  brokers: serviceUrl('KAFKA_BROKERS', 'chorus replay --to-kafka (embedded)'),
});
