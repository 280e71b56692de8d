// Suites that need a real service run when its URL is set. Otherwise they skip with a visible notice,
// or fail when CHORUS_REQUIRE_SERVICES=1 (CI), so a missing service can never pass silently. A service
// that cannot be installed on the CI machine at all (EventStoreDB) is marked so and always just skips.
import test from 'ava';

export function serviceUrl(variable: string, suite: string, options: { installable?: boolean } = {}): string | undefined {
  const url = process.env[variable];
  if (url !== undefined && url !== '') return url;
  if (process.env.CHORUS_REQUIRE_SERVICES === '1' && options.installable !== false) {
    test(`${suite} needs ${variable}`, (t) => {
      t.fail(`${variable} is not set, and CHORUS_REQUIRE_SERVICES=1 forbids skipping ${suite}`);
    });
  } else {
    console.warn(`NOTICE: ${suite} skipped: set ${variable} to run it`);
    test.skip(`${suite} (skipped: set ${variable} to run it)`, () => undefined);
  }
  return undefined;
}
