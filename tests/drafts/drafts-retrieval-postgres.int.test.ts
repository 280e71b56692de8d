import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { draftsRetrievalSuite } from './drafts-retrieval-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'drafts retrieval on PostgreSQL');

// PostgreSQL 15 ships pg_trgm in contrib: migration 0022 creates it, and the suite runs with and without it.
if (databaseUrl !== undefined) draftsRetrievalSuite({ name: 'postgres', open: () => serverTestDatabase(databaseUrl), trigrams: true });
