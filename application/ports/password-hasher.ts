/** A memory-hard password hash; the encoded form carries its own parameters, so they can grow without a migration. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Whether `password` matches `encoded`; with `encoded` null it takes as long as a real check and answers false. */
  verify(password: string, encoded: string | null): Promise<boolean>;
}
