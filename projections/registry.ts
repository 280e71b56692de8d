import { feedbackProjection } from './feedback/feedback-projection.js';
import type { Projection } from './projection.js';

export const allProjections: readonly Projection[] = [feedbackProjection];
