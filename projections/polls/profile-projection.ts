// Profiles: the name identity registered, what the user changed since, and running counts of followers, followed
// users and polls created. Rows may be made by a count before the registration arrives (other streams, other
// partitions); such a row is nobody's profile until its UserRegistered is applied.
import type { Transaction } from 'kysely';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { UserRegistered } from '../../domain/identity/user-events.js';
import type { PollCreated } from '../../domain/polls/poll-events.js';
import type { ProfileUpdated, UserFollowed, UserUnfollowed } from '../../domain/polls/social-events.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { freshEvents } from './stream-revisions.js';

type ProfileSourceEvent = UserRegistered | ProfileUpdated | UserFollowed | UserUnfollowed | PollCreated;
const HANDLES: readonly ProfileSourceEvent['type'][] = ['UserRegistered', 'ProfileUpdated', 'UserFollowed', 'UserUnfollowed', 'PollCreated'];

type Count = 'followers' | 'following' | 'polls';

async function bump(tx: Transaction<Schema>, userId: string, count: Count, by: number): Promise<void> {
  await tx
    .insertInto('social_profiles')
    .values({ user_id: userId, registered: false, registered_name: null, display_name: null, bio: null, avatar_url: null, followers: 0, following: 0, polls: 0, [count]: by })
    .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ [count]: eb(eb.ref(`social_profiles.${count}`), '+', by) })))
    .execute();
}

/** An empty bio or avatar URL is how a user clears it: stored as none. */
const orNull = (value: string): string | null => (value === '' ? null : value);

async function applyOne(tx: Transaction<Schema>, recorded: RecordedEvent): Promise<void> {
  const event = recorded as unknown as ProfileSourceEvent;
  switch (event.type) {
    case 'UserRegistered': {
      const { userId, displayName } = event.data;
      await tx
        .insertInto('social_profiles')
        .values({ user_id: userId, registered: true, registered_name: displayName, display_name: null, bio: null, avatar_url: null, followers: 0, following: 0, polls: 0 })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ registered: true, registered_name: displayName }))
        .execute();
      return;
    }
    case 'ProfileUpdated': {
      const { userId, displayName, bio, avatarUrl } = event.data;
      const changes = {
        ...(displayName === undefined ? {} : { display_name: displayName }),
        ...(bio === undefined ? {} : { bio: orNull(bio) }),
        ...(avatarUrl === undefined ? {} : { avatar_url: orNull(avatarUrl) }),
      };
      if (Object.keys(changes).length === 0) return;
      await tx
        .insertInto('social_profiles')
        .values({ user_id: userId, registered: false, registered_name: null, display_name: null, bio: null, avatar_url: null, followers: 0, following: 0, polls: 0, ...changes })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(changes))
        .execute();
      return;
    }
    case 'UserFollowed':
    case 'UserUnfollowed': {
      const by = event.type === 'UserFollowed' ? 1 : -1;
      await bump(tx, event.data.followeeId, 'followers', by);
      await bump(tx, event.data.followerId, 'following', by);
      return;
    }
    case 'PollCreated':
      await bump(tx, event.data.authorId, 'polls', 1);
      return;
    default:
      assertNever(event);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  for (const event of await freshEvents(tx, 'social_profile_streams', events)) await applyOne(tx, event);
}

export const profileProjection: Projection = {
  name: 'polls-profiles',
  version: 1,
  categories: ['user', 'profile', 'follow', 'poll'],
  handles: HANDLES,
  tables: ['social_profiles', 'social_profile_streams'],
  apply,
};
