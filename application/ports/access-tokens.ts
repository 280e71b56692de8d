import type { Role } from '../../domain/identity/roles.js';

export type AccessClaims = Readonly<{ sub: string; roles: readonly Role[]; jti: string; expiresAt: Date }>;

/** Short-lived signed access tokens (JWT): who the bearer is and the roles they held when it was issued. */
export interface AccessTokens {
  issue(subject: Readonly<{ sub: string; roles: readonly Role[] }>, ttlSeconds?: number): Promise<{ token: string; expiresIn: number }>;
  /** The token's claims, or Unauthenticated (AUTH.INVALID_TOKEN, AUTH.TOKEN_EXPIRED) when it is not one this instance signed and still valid. */
  verify(token: string): Promise<AccessClaims>;
}
