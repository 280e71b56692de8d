import { embeddedTestDatabase } from '../support/databases.js';
import { draftsRetrievalSuite } from './drafts-retrieval-suite.js';

// PGlite as the embedded profile opens it: without pg_trgm, so the retriever ranks by text search alone.
draftsRetrievalSuite({ name: 'embedded', open: embeddedTestDatabase, trigrams: false });
