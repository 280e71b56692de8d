// A user's profile: what they say about themselves beside what identity registered (one stream per user, profile-<id>).
// The user must exist: the handler looks at their identity stream and tells the decider (userKnown).
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { NotFound, ValidationError } from '../kernel/errors.js';
import { DISPLAY_NAME_MAX_LENGTH } from '../identity/user-events.js';
import { PROFILE_BIO_MAX_LENGTH, type ProfileUpdated } from './social-events.js';

export const AVATAR_URL_MAX_LENGTH = 2000;

/** An empty bio or avatar URL is none: the way to clear one, as the event keeps only strings. */
export type Profile =
  | { status: 'default' }
  | { status: 'edited'; displayName: string | null; bio: string; avatarUrl: string };

export const initialState = (): Profile => ({ status: 'default' });

export function evolve(state: Profile, event: ProfileUpdated): Profile {
  switch (event.type) {
    case 'ProfileUpdated': {
      const current = state.status === 'edited' ? state : { displayName: null, bio: '', avatarUrl: '' };
      const { displayName, bio, avatarUrl } = event.data;
      return {
        status: 'edited',
        displayName: displayName ?? current.displayName,
        bio: bio ?? current.bio,
        avatarUrl: avatarUrl ?? current.avatarUrl,
      };
    }
    default:
      return assertNever(event.type);
  }
}

export type UpdateProfile = Command<
  'UpdateProfile',
  { userId: string; userKnown: boolean; displayName?: string; bio?: string; avatarUrl?: string }
>;

export type ProfileCommand = UpdateProfile;

/** Only https: a profile picture fetched over plain http would be a mixed-content hole in every client. */
export function isHttpsUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
}

export function decide(command: ProfileCommand, state: Profile): readonly ProfileUpdated[] {
  switch (command.type) {
    case 'UpdateProfile': {
      const { userId, userKnown } = command.data;
      if (!userKnown) throw new NotFound('PROFILE.NOT_FOUND', `User ${userId} does not exist`);
      const displayName = command.data.displayName?.trim();
      const { bio, avatarUrl } = command.data;
      if (displayName === undefined && bio === undefined && avatarUrl === undefined) {
        throw new ValidationError('PROFILE.EMPTY_UPDATE', 'Send at least one of displayName, bio and avatarUrl');
      }
      if (displayName !== undefined && (displayName.length === 0 || displayName.length > DISPLAY_NAME_MAX_LENGTH)) {
        throw new ValidationError('PROFILE.DISPLAY_NAME_INVALID', `A display name is 1 to ${DISPLAY_NAME_MAX_LENGTH} characters`, [
          { path: 'body.displayName', message: `1 to ${DISPLAY_NAME_MAX_LENGTH} characters` },
        ]);
      }
      if (bio !== undefined && bio.length > PROFILE_BIO_MAX_LENGTH) {
        throw new ValidationError('PROFILE.BIO_TOO_LONG', `A bio is at most ${PROFILE_BIO_MAX_LENGTH} characters`, [
          { path: 'body.bio', message: `At most ${PROFILE_BIO_MAX_LENGTH} characters` },
        ]);
      }
      if (avatarUrl !== undefined && avatarUrl !== '' && (avatarUrl.length > AVATAR_URL_MAX_LENGTH || !isHttpsUrl(avatarUrl))) {
        throw new ValidationError('PROFILE.AVATAR_URL_INVALID', `An avatar URL is an https URL of at most ${AVATAR_URL_MAX_LENGTH} characters`, [
          { path: 'body.avatarUrl', message: 'An https URL' },
        ]);
      }
      // What already holds is left out; nothing left is a no-op, so a retried request is harmless.
      const current = state.status === 'edited' ? state : { displayName: null, bio: '', avatarUrl: '' };
      const changes = {
        ...(displayName !== undefined && displayName !== current.displayName ? { displayName } : {}),
        ...(bio !== undefined && bio !== current.bio ? { bio } : {}),
        ...(avatarUrl !== undefined && avatarUrl !== current.avatarUrl ? { avatarUrl } : {}),
      };
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ProfileUpdated', data: { userId, ...changes, updatedAt: command.metadata.now.toISOString() } }];
    }
    default:
      return assertNever(command.type);
  }
}

export const profileDecider: Decider<Profile, ProfileCommand, ProfileUpdated> = { decide, evolve, initialState };
