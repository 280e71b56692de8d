const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a uuid in its usual text form, in either case: every id Chorus mints is one. */
export const isUuid = (value: string): boolean => UUID.test(value);
