// Access tokens for a Chorus the caller holds no RunningChorus for (a child process, a benchmark's server): signed
// with the CHORUS_JWT_SECRET it was started with, as its own tokens are. Free of ava, so benchmarks use it too.
import type { Role } from '../../domain/identity/roles.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { JwtAccessTokens } from '../../infrastructure/identity/jwt-access-tokens.js';

/** An Authorization header for a token with these roles, valid for an hour, as a Chorus with `secret` and the default issuer and audience signs it. */
export async function bearerSignedWith(secret: string, roles: readonly Role[], sub = `as:${roles.join('+') || 'none'}`): Promise<Record<string, string>> {
  const tokens = new JwtAccessTokens({ key: { alg: 'HS256', secret: new TextEncoder().encode(secret) }, issuer: 'chorus', audience: 'chorus-api', ttlSeconds: 3600 }, uuidV7Ids, systemClock);
  const { token } = await tokens.issue({ sub, roles });
  return { Authorization: `Bearer ${token}` };
}
