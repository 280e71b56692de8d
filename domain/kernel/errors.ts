// The error model: a few classes, each carrying a stable string code. HTTP status lives in api/.

export type FieldError = Readonly<{ path: string; message: string }>;

export abstract class ChorusError extends Error {
  abstract readonly kind: 'validation' | 'not_found' | 'illegal_state' | 'wrong_expected_revision' | 'unauthenticated' | 'forbidden' | 'rate_limited';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends ChorusError {
  readonly kind = 'validation';

  constructor(
    code: string,
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(code, message);
  }
}

export class NotFound extends ChorusError {
  readonly kind = 'not_found';
}

export class IllegalState extends ChorusError {
  readonly kind = 'illegal_state';
}

/** Missing, invalid or expired credentials (HTTP 401). */
export class Unauthenticated extends ChorusError {
  readonly kind = 'unauthenticated';
}

/** Valid credentials that do not allow this (HTTP 403). */
export class Forbidden extends ChorusError {
  readonly kind = 'forbidden';
}

/** Too many attempts: try again after `retryAfterSeconds` (HTTP 429). */
export class RateLimited extends ChorusError {
  readonly kind = 'rate_limited';

  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

export type ExpectedRevision = 'no_stream' | 'any' | number;

export class WrongExpectedRevision extends ChorusError {
  readonly kind = 'wrong_expected_revision';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super('STREAM.WRONG_EXPECTED_REVISION', `Stream ${streamId} is at revision ${actual}, expected ${expected}`);
  }
}
