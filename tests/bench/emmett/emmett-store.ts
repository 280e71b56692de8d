// Emmett's side of the event store benchmarks: its PostgreSQL event store on a pool of the same size as Chorus's,
// reading the log a page at a time, and a Pongo document projection standing in for the feedback read model.
import { dumbo } from '@event-driven-io/dumbo';
import {
  getPostgreSQLEventStore,
  pongoSingleStreamProjection,
  readMessagesBatch,
  rebuildPostgreSQLProjections,
  type ReadEvent,
} from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import type { StoreUnderTest } from '../store-under-test.js';

/** Chorus's own page size (PostgresEventStore), so both read the log in the same steps. */
const PAGE_SIZE = 500;

export async function openEmmettStore(connectionString: string, poolMax: number): Promise<StoreUnderTest> {
  const pool = new pg.Pool({ connectionString, max: poolMax });
  // The server ends the connections when the benchmark drops the database; an idle one's error needs a listener.
  pool.on('error', () => undefined);
  const connections = dumbo({ connectionString, pool });
  const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { dumbo: connections } });
  await store.schema.migrate();
  return {
    name: 'Emmett',
    async append(streamId, events, expected) {
      const result = await store.appendToStream(
        streamId,
        events.map(({ type, data, metadata }) => ({ type, data: data as Record<string, unknown>, metadata })),
        { expectedStreamVersion: expected === 'no_stream' ? 'STREAM_DOES_NOT_EXIST' : expected.next },
      );
      return { next: result.nextExpectedStreamVersion };
    },
    async readAll() {
      let read = 0;
      let after = 0n;
      for (;;) {
        const page = await readMessagesBatch(connections.execute, { after, batchSize: PAGE_SIZE });
        read += page.messages.length;
        after = page.currentGlobalPosition;
        if (!page.areMessagesLeft) return read;
      }
    },
    async catchUpFeedback(deadline) {
      let applied = 0;
      // A rebuild truncates the documents and runs until no event is left; a processor id of its own makes it
      // start from the beginning again. Emmett's puller waits pullingFrequencyInMs after every page, even a
      // full one: 1 ms keeps that wait out of the figure.
      const rebuild = rebuildPostgreSQLProjections({
        connectionString,
        pool: connections,
        pulling: { batchSize: PAGE_SIZE, pullingFrequencyInMs: 1 },
        projections: [{ projection: feedbackDocuments(() => applied++), processorId: `feedback-${crypto.randomUUID()}` }],
      });
      const timer = setTimeout(() => void rebuild.close(), Math.max(0, deadline - performance.now()));
      try {
        await rebuild.start();
      } finally {
        clearTimeout(timer);
        await rebuild.close();
      }
      return applied;
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

type FeedbackDocument = {
  id: string;
  text: string;
  rating: number | null;
  channel: string | null;
  appVersion: string | null;
  customerId: string | null;
  status: string;
  note: string | null;
  category: string | null;
  sentiment: string | null;
  confidence: number | null;
  aiProvider: string | null;
  revision: number;
  submittedAt: string;
  updatedAt: string;
};

/** The same fields as Chorus's feedback row, folded the same way; one document per feedback stream. */
const feedbackDocuments = (onEvent: () => void) =>
  pongoSingleStreamProjection<FeedbackDocument>({
    collectionName: 'feedback',
    canHandle: ['FeedbackSubmitted', 'FeedbackStatusChanged', 'FeedbackCategorized'],
    evolve: (document, event: ReadEvent) => {
      onEvent();
      const data = event.data;
      const revision = Number(event.metadata.streamPosition);
      switch (event.type) {
        case 'FeedbackSubmitted':
          return {
            id: String(data.feedbackId),
            text: String(data.text),
            rating: (data.rating as number | null) ?? null,
            channel: (data.channel as string | null) ?? null,
            appVersion: (data.appVersion as string | null) ?? null,
            customerId: (data.customerId as string | null) ?? null,
            status: 'open',
            note: null,
            category: null,
            sentiment: null,
            confidence: null,
            aiProvider: null,
            revision,
            submittedAt: String(data.submittedAt),
            updatedAt: String(data.submittedAt),
          };
        case 'FeedbackStatusChanged':
          return document === null ? null : { ...document, status: String(data.to), note: (data.note as string | null) ?? null, revision, updatedAt: String(data.changedAt) };
        case 'FeedbackCategorized':
          return document === null
            ? null
            : {
                ...document,
                category: String(data.category),
                sentiment: String(data.sentiment),
                confidence: Number(data.confidence),
                aiProvider: String(data.provider),
                revision,
              };
        default:
          return document;
      }
    },
  });
