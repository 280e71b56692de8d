export interface Ids {
  /** A new time-ordered unique id (uuid v7). */
  next(): string;
}
