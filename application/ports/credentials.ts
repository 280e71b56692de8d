/**
 * Password hashes, keyed by user id. They are kept beside the events, not in them: an event is kept forever and
 * fanned out to every consumer, and a password hash must be replaceable and reach nobody.
 */
export interface Credentials {
  save(userId: string, passwordHash: string): Promise<void>;
  passwordHashOf(userId: string): Promise<string | null>;
}
