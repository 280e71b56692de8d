import { crmHttpSuite } from './crm-http-suite.js';

crmHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
