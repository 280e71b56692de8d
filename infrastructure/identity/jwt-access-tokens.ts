// Access tokens as JWTs (jose), signed with HS256 and a shared secret or with a key pair (EdDSA, ES256, RS256).
// Verification pins the algorithm of the configured key, the issuer and the audience,
// and wants sub, roles, exp and jti: `alg: none`, another key, a tampered payload, another audience or an expired
// token all fail the same way, as 401. Clients send one token many times: a token that verified is remembered
// (its claims, until it expires), so the signature of most requests is checked once, not on every request.
import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { webcrypto, type KeyObject } from 'node:crypto';
import type { SigningKey } from './signing-key.js';
import type { AccessClaims, AccessTokens } from '../../application/ports/access-tokens.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Clock } from '../../application/ports/clock.js';
import { canonicalRoles, isRole, type Role } from '../../domain/identity/roles.js';
import { Unauthenticated } from '../../domain/kernel/errors.js';

/** Clocks of the processes that sign and verify may differ by this much. */
const CLOCK_TOLERANCE_S = 5;

export type JwtSettings = Readonly<{ key: SigningKey; issuer: string; audience: string; ttlSeconds: number }>;

/** Tokens remembered as verified: enough for every client active within a token's lifetime on one process. */
const VERIFIED_TOKENS = 10_000;

const invalid = () => new Unauthenticated('AUTH.INVALID_TOKEN', 'The access token is not valid');

export class JwtAccessTokens implements AccessTokens {
  private readonly verified = new LRUCache<string, AccessClaims>({ max: VERIFIED_TOKENS });
  /** Imported once: handing jose raw bytes would import them again on every call (half its cost). */
  private readonly signWith: Promise<webcrypto.CryptoKey | KeyObject>;
  private readonly verifyWith: Promise<webcrypto.CryptoKey | KeyObject>;

  constructor(
    private readonly settings: JwtSettings,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {
    const { key } = settings;
    if (key.alg === 'HS256') {
      this.signWith = webcrypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      this.verifyWith = this.signWith;
    } else {
      this.signWith = Promise.resolve(key.privateKey);
      this.verifyWith = Promise.resolve(key.publicKey);
    }
  }

  async issue(subject: Readonly<{ sub: string; roles: readonly Role[] }>, ttlSeconds = this.settings.ttlSeconds): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ roles: canonicalRoles(subject.roles) })
      .setProtectedHeader({ alg: this.settings.key.alg, typ: 'JWT' })
      .setSubject(subject.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(this.ids.next())
      .sign(await this.signWith);
    return { token, expiresIn: ttlSeconds };
  }

  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.expiresAt.getTime() + CLOCK_TOLERANCE_S * 1000 > this.clock.now().getTime()) return known;
      this.verified.delete(token);
    }
    const claims = await this.verifySignature(token);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.verifyWith, {
        algorithms: [this.settings.key.alg],
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
