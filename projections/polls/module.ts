// The polls context: polls, votes, comments, reactions, follows, profiles, direct messages and notifications.
import type { ContextModule } from '../context-module.js';
import { conversationProjection } from './conversation-projection.js';
import { notificationProjection } from './notification-projection.js';
import { profileProjection } from './profile-projection.js';
import { socialMigrations } from './social-schema.js';

export const pollsModule: ContextModule = {
  name: 'polls',
  categories: ['poll', 'vote', 'comment', 'reaction', 'follow', 'profile', 'message', 'conversationread', 'notificationread'],
  migrations: { ...socialMigrations },
  projections: [profileProjection, conversationProjection, notificationProjection],
  enrichers: () => [],
  upcasters: [],
};
