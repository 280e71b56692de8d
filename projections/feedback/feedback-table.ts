import type { FeedbackCategory, FeedbackStatus, Sentiment } from '../../domain/feedback/events.js';

export interface FeedbackTable {
  id: string;
  text: string;
  rating: number | null;
  source: string | null;
  customer_id: string | null;
  status: FeedbackStatus;
  note: string | null;
  category: FeedbackCategory | null;
  sentiment: Sentiment | null;
  confidence: number | null;
  ai_provider: string | null;
  revision: number;
  submitted_at: Date;
  updated_at: Date;
}

/** Running totals behind /v1/feedback/stats: one row per (dimension, key), e.g. ('status', 'open'). */
export interface FeedbackCountsTable {
  dimension: 'status' | 'rating' | 'day' | 'category' | 'sentiment';
  key: string;
  count: number;
}
