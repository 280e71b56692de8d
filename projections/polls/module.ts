// The polls context: polls, votes, comments, reactions and the social graph around them (follows, profiles,
// messages), their read models, and the schedule that closes polls at their closesAt.
import type { ContextModule } from '../context-module.js';
import { pollCommentsProjection } from './comments-projection.js';
import { pollsEngagementMigrations } from './engagement-schema.js';
import { pollFeedProjection } from './feed-projection.js';
import { pollExpiry } from './poll-expiry.js';
import { pollsProjection } from './polls-projection.js';
import { pollsMigrations } from './polls-schema.js';

export const pollsModule: ContextModule = {
  name: 'polls',
  categories: ['poll', 'vote', 'comment', 'reaction', 'follow', 'profile', 'message', 'conversationread'],
  migrations: { ...pollsMigrations, ...pollsEngagementMigrations },
  projections: [pollsProjection, pollCommentsProjection, pollFeedProjection],
  enrichers: () => [],
  schedules: (deps) => [pollExpiry(deps)],
  upcasters: [],
};
