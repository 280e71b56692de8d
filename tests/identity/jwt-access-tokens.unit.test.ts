// Access tokens: claims round-trip; a remembered token still expires; another instance's key is refused.
import test from 'ava';
import { JwtAccessTokens } from '../../infrastructure/identity/jwt-access-tokens.js';
import { uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import type { ChorusError } from '../../domain/kernel/errors.js';

const settings = (secret: string) => ({ key: new TextEncoder().encode(secret), issuer: 'chorus', audience: 'chorus-api', ttlSeconds: 60 });

test('a token verifies to its claims, again and again, until it expires; then it is refused though it verified before', async (t) => {
  const time = { now: Date.parse('2026-12-02T10:00:00Z') };
  const tokens = new JwtAccessTokens(settings('s'.repeat(32)), uuidV7Ids, { now: () => new Date(time.now) });
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
  const clock = { now: () => new Date() };
  const here = new JwtAccessTokens(settings('h'.repeat(32)), uuidV7Ids, clock);
  const there = new JwtAccessTokens(settings('t'.repeat(32)), uuidV7Ids, clock);
  const { token } = await there.issue({ sub: 'mallory', roles: ['admin'] });
  await there.verify(token);
  const error = await t.throwsAsync(here.verify(token));
  t.is((error as ChorusError).code, 'AUTH.INVALID_TOKEN');
});
