// The secrets identity hands out (refresh tokens, API keys) and the hashes it keeps of them. A secret names the
// stream it belongs to, so checking one is a read of that stream, and carries 256 random bits, so a plain SHA-256
// of it is as safe to keep as a slow password hash would be.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Equal hex digests compare in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export type SecretKind = 'rt' | 'ck';

/** `<kind>_<the id's 32 hex digits>_<43 characters of base64url>`. */
export const newSecret = (kind: SecretKind, id: string): string => `${kind}_${id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;

const SECRET = /^(rt|ck)_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;

/** The id a secret of this kind names, or null when the text is not shaped like one. */
export function idOfSecret(kind: SecretKind, secret: string): string | null {
  const match = SECRET.exec(secret);
  if (match === null || match[1] !== kind) return null;
  const hex = match[2]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
