// Access tokens as JWTs signed with HS256 (jose). Verification pins the algorithm, the issuer and the audience,
// and wants sub, roles, exp and jti: `alg: none`, another key, a tampered payload, another audience or an expired
// token all fail the same way, as 401.
import { errors, jwtVerify, SignJWT } from 'jose';
import type { AccessClaims, AccessTokens } from '../../application/ports/access-tokens.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Clock } from '../../application/ports/clock.js';
import { canonicalRoles, isRole, type Role } from '../../domain/identity/roles.js';
import { Unauthenticated } from '../../domain/kernel/errors.js';

const ALGORITHM = 'HS256';
/** Clocks of the processes that sign and verify may differ by this much. */
const CLOCK_TOLERANCE_S = 5;

export type JwtSettings = Readonly<{ key: Uint8Array; issuer: string; audience: string; ttlSeconds: number }>;

const invalid = () => new Unauthenticated('AUTH.INVALID_TOKEN', 'The access token is not valid');

export class JwtAccessTokens implements AccessTokens {
  constructor(
    private readonly settings: JwtSettings,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  async issue(subject: Readonly<{ sub: string; roles: readonly Role[] }>, ttlSeconds = this.settings.ttlSeconds): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ roles: canonicalRoles(subject.roles) })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(subject.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(this.ids.next())
      .sign(this.settings.key);
    return { token, expiresIn: ttlSeconds };
  }

  async verify(token: string): Promise<AccessClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.settings.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new Unauthenticated('AUTH.TOKEN_EXPIRED', 'The access token has expired: refresh it or log in again');
      if (error instanceof errors.JOSEError) throw invalid();
      throw error;
    }
    const { sub, roles, jti, exp } = payload;
    if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof exp !== 'number') throw invalid();
    if (!Array.isArray(roles) || !roles.every((role): role is Role => typeof role === 'string' && isRole(role))) throw invalid();
    return { sub, roles, jti, expiresAt: new Date(exp * 1000) };
  }
}
