// The polls context: polls, votes, comments, reactions, follows, profiles, direct messages and notifications, their
// read models, and the schedule that closes polls at their closesAt.
import type { ContextModule } from '../context-module.js';
import { pollCommentsProjection } from './comments-projection.js';
import { conversationProjection } from './conversation-projection.js';
import { pollsEngagementMigrations } from './engagement-schema.js';
import { pollFeedProjection } from './feed-projection.js';
import { notificationProjection } from './notification-projection.js';
import { pollExpiry } from './poll-expiry.js';
import { pollsProjection } from './polls-projection.js';
import { pollsMigrations } from './polls-schema.js';
import { profileProjection } from './profile-projection.js';
import { socialMigrations } from './social-schema.js';

export const pollsModule: ContextModule = {
  name: 'polls',
  categories: ['poll', 'vote', 'comment', 'reaction', 'follow', 'profile', 'message', 'conversationread', 'notificationread'],
  migrations: { ...pollsMigrations, ...socialMigrations, ...pollsEngagementMigrations },
  projections: [pollsProjection, pollCommentsProjection, pollFeedProjection, profileProjection, conversationProjection, notificationProjection],
  enrichers: () => [],
  schedules: (deps) => [pollExpiry(deps)],
  upcasters: [],
};
