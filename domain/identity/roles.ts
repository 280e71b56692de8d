// Roles are permission sets, not a ladder: a user may hold several, and each route names the roles it admits
// (admin is admitted everywhere).
export const ROLES = ['admin', 'operator', 'agent', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The roles in one canonical order, each once: two equal sets compare equal as arrays. */
export const canonicalRoles = (roles: readonly Role[]): Role[] => ROLES.filter((role) => roles.includes(role));
