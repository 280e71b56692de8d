import { feedbackHttpSuite } from './feedback-http-suite.js';

feedbackHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
