import { engagementHttpSuite } from './engagement-http-suite.js';

engagementHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
