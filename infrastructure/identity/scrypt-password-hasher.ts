// Passwords hashed with scrypt (node's built-in, memory-hard): `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, base64url.
// The default costs follow OWASP's scrypt settings (N=2^15, r=8, p=3: 32 MiB per hash); a hash keeps its own
// parameters, so raising them later needs no migration.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHasher } from '../../application/ports/password-hasher.js';

export type ScryptCost = Readonly<{ log2N: number; r: number; p: number }>;

export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 3 };

/** Past these a stored hash would take gigabytes or minutes to check: it cannot be one of ours. */
const MAX_COST: ScryptCost = { log2N: 20, r: 16, p: 16 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const ENCODED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

const derive = (password: string, salt: Buffer, { log2N, r, p }: ScryptCost): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** log2N;
    // Node refuses more than 32 MiB unless told: allow what these parameters need, with room.
    const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });

export class ScryptPasswordHasher implements PasswordHasher {
  /**
   * What `verify` compares against when there is no hash: the same work, a certain mismatch. Made at the first
   * such login, not at start-up: most processes (relay, projector) never check a password.
   */
  private decoy: Promise<string> | null = null;

  constructor(private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.cost);
    const { log2N, r, p } = this.cost;
    return `scrypt$${log2N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(password: string, encoded: string | null): Promise<boolean> {
    const parsed = ENCODED.exec(encoded ?? (await (this.decoy ??= this.hash(randomBytes(24).toString('base64url')))));
    if (parsed === null) return false;
    const [, log2N, r, p, salt, expected] = parsed;
    const cost = { log2N: Number(log2N), r: Number(r), p: Number(p) };
    if (cost.log2N > MAX_COST.log2N || cost.r > MAX_COST.r || cost.p > MAX_COST.p) return false; // not a hash we would make
    const key = await derive(password, Buffer.from(salt!, 'base64url'), cost);
    const wanted = Buffer.from(expected!, 'base64url');
    return encoded !== null && key.length === wanted.length && timingSafeEqual(key, wanted);
  }
}
