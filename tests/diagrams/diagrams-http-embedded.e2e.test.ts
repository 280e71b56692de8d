import { diagramsHttpSuite } from './diagrams-http-suite.js';

diagramsHttpSuite({
  name: 'embedded',
  env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
});
