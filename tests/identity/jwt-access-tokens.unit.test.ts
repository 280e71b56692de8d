// Access tokens: claims round-trip; a remembered token still expires; another key is refused; a key pair signs
// with its own algorithm, and a token forged with its public half as an HMAC secret is refused.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { JwtAccessTokens } from '../../infrastructure/identity/jwt-access-tokens.js';
import { loadSigningKey, type SigningKey } from '../../infrastructure/identity/signing-key.js';
import { uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';
import type { ChorusError } from '../../domain/kernel/errors.js';

const secret = (text: string): SigningKey => ({ alg: 'HS256', secret: new TextEncoder().encode(text) });
const settings = (key: SigningKey) => ({ key, issuer: 'chorus', audience: 'chorus-api', ttlSeconds: 60 });
const clock = { now: () => new Date() };

test('a token verifies to its claims, again and again, until it expires; then it is refused though it verified before', async (t) => {
  const time = { now: Date.parse('2026-12-02T10:00:00Z') };
  const tokens = new JwtAccessTokens(settings(secret('s'.repeat(32))), uuidV7Ids, { now: () => new Date(time.now) });
  const { token, expiresIn } = await tokens.issue({ sub: 'ada', roles: ['viewer', 'admin'] });
  t.is(expiresIn, 60);
  const claims = await tokens.verify(token);
  t.like(claims, { sub: 'ada', roles: ['admin', 'viewer'] });
  t.is(claims.expiresAt.toISOString(), '2026-12-02T10:01:00.000Z');
  t.deepEqual(await tokens.verify(token), claims);
  time.now += 66_000; // past the expiry and the 5 s of tolerance for clock skew
  const error = await t.throwsAsync(tokens.verify(token));
  t.is((error as ChorusError).code, 'AUTH.TOKEN_EXPIRED');
});

test("another instance's key, and a token that verified there, are refused here", async (t) => {
  const here = new JwtAccessTokens(settings(secret('h'.repeat(32))), uuidV7Ids, clock);
  const there = new JwtAccessTokens(settings(secret('t'.repeat(32))), uuidV7Ids, clock);
  const { token } = await there.issue({ sub: 'mallory', roles: ['admin'] });
  await there.verify(token);
  const error = await t.throwsAsync(here.verify(token));
  t.is((error as ChorusError).code, 'AUTH.INVALID_TOKEN');
});

const keyFiles = async (t: { teardown(fn: () => Promise<void>): void }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chorus-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, pem: string) => {
    const file = path.join(dir, name);
    await writeFile(file, pem);
    return file;
  };
  return { dir, write };
};

for (const [type, options, alg] of [
  ['ed25519', {}, 'EdDSA'],
  ['ec', { namedCurve: 'prime256v1' }, 'ES256'],
  ['rsa', { modulusLength: 2048 }, 'RS256'],
] as const) {
  test(`CHORUS_JWT_PRIVATE_KEY_FILE with a ${type} key signs ${alg}; its public half used as an HMAC secret forges nothing`, async (t) => {
    const { write } = await keyFiles(t);
    const { privateKey, publicKey } = generateKeyPairSync(type as 'ed25519', options as object);
    const file = await write('key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const key = await loadSigningKey(loadConfig({ CHORUS_JWT_PRIVATE_KEY_FILE: file, DATABASE_URL: 'postgres://x@127.0.0.1/x' }));
    t.is(key.alg, alg);
    const tokens = new JwtAccessTokens(settings(key), uuidV7Ids, clock);
    const { token } = await tokens.issue({ sub: 'ada', roles: ['viewer'] });
    t.is(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg, alg);
    t.like(await tokens.verify(token), { sub: 'ada', roles: ['viewer'] });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer('chorus')
      .setAudience('chorus-api')
      .setJti('j')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    const error = await t.throwsAsync(tokens.verify(forged));
    t.is((error as ChorusError).code, 'AUTH.INVALID_TOKEN');
  });
}

test('a private key file that is missing, not a key, or of a kind we do not sign with stops the start with the variable named', async (t) => {
  const { dir, write } = await keyFiles(t);
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const secp384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  for (const file of [path.join(dir, 'missing.pem'), await write('junk.pem', 'not a key'), await write('weak.pem', weak), await write('p384.pem', secp384)]) {
    const error = await t.throwsAsync(loadSigningKey(loadConfig({ CHORUS_JWT_PRIVATE_KEY_FILE: file })));
    t.true(error instanceof ConfigError);
    t.regex(error!.message, /CHORUS_JWT_PRIVATE_KEY_FILE/);
    t.false(error!.message.includes('PRIVATE KEY'), 'never quotes the key');
  }
  t.throws(() => loadConfig({ CHORUS_JWT_PRIVATE_KEY_FILE: '/x.pem', CHORUS_JWT_SECRET: 's'.repeat(32) }), { message: /not both/ });
});
