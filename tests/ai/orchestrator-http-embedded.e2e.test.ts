import { orchestratorHttpSuite } from './orchestrator-http-suite.js';

orchestratorHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
