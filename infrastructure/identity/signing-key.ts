// The key access tokens are signed with, from the first of:
// - CHORUS_JWT_PRIVATE_KEY_FILE: a private key (PEM, PKCS#8: Ed25519, P-256 or RSA of 2048 bits or more), signing
//   with EdDSA, ES256 or RS256, verified with its public half;
// - CHORUS_JWT_SECRET: a shared secret of 32 bytes or more (HS256);
// - in the embedded profile, a secret made on first start and kept in the data directory (mode 0600), so tokens
//   survive restarts; in memory, a secret per process.
// A server profile (DATABASE_URL) must name one of the first two: every process has to use the same key.
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, IN_MEMORY, type Config } from '../config.js';

const KEY_FILE = 'jwt-secret';
const KEY_BYTES = 32;

export type SigningKey =
  | Readonly<{ alg: 'HS256'; secret: Uint8Array }>
  | Readonly<{ alg: 'EdDSA' | 'ES256' | 'RS256'; privateKey: KeyObject; publicKey: KeyObject }>;

export async function loadSigningKey(config: Config): Promise<SigningKey> {
  if (config.jwtPrivateKeyFile !== undefined) return keyPair(config.jwtPrivateKeyFile);
  if (config.jwtSecret !== undefined) return { alg: 'HS256', secret: new TextEncoder().encode(config.jwtSecret.reveal()) };
  if (config.databaseUrl !== undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  CHORUS_JWT_SECRET: required when DATABASE_URL is set (at least 32 bytes, the same in every process), unless CHORUS_JWT_PRIVATE_KEY_FILE names a key pair',
    );
  }
  if (config.dataDir === IN_MEMORY) return { alg: 'HS256', secret: randomBytes(KEY_BYTES) };
  return { alg: 'HS256', secret: await secretInDataDir(path.join(config.dataDir, KEY_FILE)) };
}

async function keyPair(file: string): Promise<SigningKey> {
  const problem = (why: string) => new ConfigError(`Invalid configuration:\n  CHORUS_JWT_PRIVATE_KEY_FILE: ${why}`);
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw problem('is not a PEM private key');
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  const alg =
    privateKey.asymmetricKeyType === 'ed25519'
      ? 'EdDSA'
      : privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1'
        ? 'ES256'
        : privateKey.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048
          ? 'RS256'
          : null;
  if (alg === null) throw problem('must be an Ed25519, P-256 or RSA (2048 bits or more) key');
  return { alg, privateKey, publicKey: createPublicKey(privateKey) };
}

async function secretInDataDir(file: string): Promise<Uint8Array> {
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
