// Follows (one stream per follower and followee), profiles (one stream per user, beside identity's user stream)
// and direct messages (one stream per message; read marks in a stream per reader and counterpart).
import type { Event } from '../kernel/decider.js';

export const PROFILE_BIO_MAX_LENGTH = 500;
export const MESSAGE_TEXT_MAX_LENGTH = 2000;

export const followStreamId = (followerId: string, followeeId: string): string => `follow-${followerId}:${followeeId}`;
export const profileStreamId = (userId: string): string => `profile-${userId}`;
export const messageStreamId = (messageId: string): string => `message-${messageId}`;
export const conversationReadStreamId = (readerId: string, counterpartId: string): string => `conversationread-${readerId}:${counterpartId}`;

export type UserFollowed = Event<'UserFollowed', { followerId: string; followeeId: string; at: string }>;
export type UserUnfollowed = Event<'UserUnfollowed', { followerId: string; followeeId: string; at: string }>;

/** Only the fields given change; a display name not set here is the one the user registered with. */
export type ProfileUpdated = Event<'ProfileUpdated', { userId: string; displayName?: string; bio?: string; avatarUrl?: string; updatedAt: string }>;

export type MessageSent = Event<'MessageSent', { messageId: string; from: string; to: string; text: string; sentAt: string }>;
/** The reader has read every message from the counterpart sent up to `upTo`. */
export type ConversationRead = Event<'ConversationRead', { readerId: string; counterpartId: string; upTo: string; readAt: string }>;

export type SocialEvent = UserFollowed | UserUnfollowed | ProfileUpdated | MessageSent | ConversationRead;
export const SOCIAL_EVENT_TYPES: readonly SocialEvent['type'][] = ['UserFollowed', 'UserUnfollowed', 'ProfileUpdated', 'MessageSent', 'ConversationRead'];
