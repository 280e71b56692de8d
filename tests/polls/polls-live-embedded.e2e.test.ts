import { pollsLiveSuite } from './polls-live-suite.js';

pollsLiveSuite({ name: 'embedded', env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }) });
