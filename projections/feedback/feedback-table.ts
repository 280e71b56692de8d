import type { FeedbackStatus } from '../../domain/feedback/events.js';

export interface FeedbackTable {
  id: string;
  text: string;
  rating: number | null;
  source: string | null;
  customer_id: string | null;
  status: FeedbackStatus;
  note: string | null;
  revision: number;
  submitted_at: Date;
  updated_at: Date;
}
