// The deprecated `source` of feedback: schema 1 of FeedbackSubmitted kept one free text ("ios 2.3.1", "android/1.4.0",
// "web") where schema 2 keeps a channel and an app version. The upcaster of old events and the HTTP layer (for clients
// that still send `source`) part it by splitSource; migration 0014_feedback_channel repeats the rule in SQL, and a
// test holds the two equal.

export const FEEDBACK_SOURCE_MAX_LENGTH = 100;

export type FeedbackOrigin = Readonly<{ channel: string | null; appVersion: string | null }>;

const APP_VERSION = /^[vV]?[0-9]+(\.[0-9]+)+([-+][0-9A-Za-z.+-]+)?$/;
const LAST_TOKEN = /[^ /@]*$/;

/**
 * Parts a source into channel and app version, keeping both as written (case, a leading `v`):
 * 1. Spaces (U+0020 only) around it are dropped. Nothing left, or no source: no channel, no version.
 * 2. Its last token is what follows its last space, `/` or `@` (all of it when it has none).
 * 3. A last token that is a version (`2.3.1`, `v2.3`, `2.3.1-beta`, `10.0+45`: digits with at least one dot, an
 *    optional leading v, an optional suffix after `-` or `+`) is the app version; the channel is what precedes it,
 *    less the spaces, `/` and `@` in between. A bare number (`ios 17`) is not a version.
 * 4. Otherwise there is no version, and the channel is the whole source.
 * An empty channel is null: `2.3.1` alone is a version from no named channel.
 */
export function splitSource(source: string | null): FeedbackOrigin {
  const trimmed = source?.replace(/^ +| +$/g, '') ?? '';
  const token = LAST_TOKEN.exec(trimmed)![0];
  if (!APP_VERSION.test(token)) return { channel: trimmed === '' ? null : trimmed, appVersion: null };
  const channel = trimmed.slice(0, trimmed.length - token.length).replace(/[ /@]+$/, '');
  return { channel: channel === '' ? null : channel, appVersion: token };
}

/** The source of a channel and an app version, for clients that still read one: both, space-separated. */
export function joinSource({ channel, appVersion }: FeedbackOrigin): string | null {
  const parts = [channel, appVersion].filter((part) => part !== null);
  return parts.length === 0 ? null : parts.join(' ');
}
