import { draftsDashboardHttpSuite } from './drafts-dashboard-http-suite.js';

draftsDashboardHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
