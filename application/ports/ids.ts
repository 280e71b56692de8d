export interface Ids {
  /** A new time-ordered unique id (uuid v7). */
  next(): string;
  /** The same id for the same name, always (uuid v5): for events whose redelivery must append nothing. */
  fromName(name: string): string;
}
