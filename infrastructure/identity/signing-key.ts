// The key access tokens are signed with: CHORUS_JWT_SECRET when set; otherwise, in the embedded profile, a key
// made on first start and kept in the data directory (mode 0600), so tokens survive restarts; in memory, a key
// per process. A server profile (DATABASE_URL) must set it: every API process has to sign with the same key.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, IN_MEMORY, type Config } from '../config.js';

const KEY_FILE = 'jwt-secret';
const KEY_BYTES = 32;

export async function loadSigningKey(config: Config): Promise<Uint8Array> {
  if (config.jwtSecret !== undefined) return new TextEncoder().encode(config.jwtSecret.reveal());
  if (config.databaseUrl !== undefined) {
    throw new ConfigError('Invalid configuration:\n  CHORUS_JWT_SECRET: required when DATABASE_URL is set (at least 32 bytes; every API process must share it)');
  }
  if (config.dataDir === IN_MEMORY) return randomBytes(KEY_BYTES);
  return keyInDataDir(path.join(config.dataDir, KEY_FILE));
}

async function keyInDataDir(file: string): Promise<Uint8Array> {
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  // Written whole under a temporary name, then linked into place: a process that starts at the same moment either
  // links first or finds the finished key, never a half-written file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, key.toString('base64url'), { mode: 0o600, flush: true });
  try {
    await link(draft, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  const kept = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  if (kept.length < KEY_BYTES) throw new ConfigError(`The signing key in ${file} is damaged (shorter than ${KEY_BYTES} bytes): delete it to make a new one (every token signed with it stops working)`);
  return kept;
}
