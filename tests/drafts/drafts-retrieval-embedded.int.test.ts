import { embeddedTestDatabase } from '../support/databases.js';
import { draftsRetrievalSuite } from './drafts-retrieval-suite.js';

// PGlite as the embedded profile opens it, with pg_trgm loaded: the suite runs with and without it.
draftsRetrievalSuite({ name: 'embedded', open: embeddedTestDatabase, trigrams: true });
