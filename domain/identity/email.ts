// Emails are compared in one normal form: Unicode NFKC (so compatibility forms such as fullwidth letters fold),
// trimmed and lower-cased. Two spellings that normalise alike are one email.
export const EMAIL_MAX_LENGTH = 254;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

export const normalizeEmail = (email: string): string => email.normalize('NFKC').trim().toLowerCase();

/** Whether a normalised email looks like one: local part, @, a dotted domain, no spaces, within 254 characters. */
export const isEmailShaped = (normalized: string): boolean => normalized.length <= EMAIL_MAX_LENGTH && EMAIL_SHAPE.test(normalized);
