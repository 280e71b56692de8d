import { replayHttpSuite } from './replay-http-suite.js';

replayHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
  shared: false,
});
