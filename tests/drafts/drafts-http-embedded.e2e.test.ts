import { draftsHttpSuite } from './drafts-http-suite.js';

draftsHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
