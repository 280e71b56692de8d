import { draftsFlowSuite } from './drafts-flow-suite.js';

draftsFlowSuite({ name: 'embedded', kafka: false, env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }) });
