// The load test's setup against a Chorus that hashes few passwords a minute per address: registering the voters
// stops the setup with the variable to raise, rather than a load without voters.
import test from 'ava';
import { HttpSpecification, bearerFor } from '../support/http-specification.js';
import { setUpTarget, TargetError } from './target-setup.js';

const { chorus } = HttpSpecification({ config: { CHORUS_RATE_LIMIT_PASSWORD_PER_MIN: '4' } });

test('a password rate limit below what the voters need: exit-2 material naming CHORUS_RATE_LIMIT_PASSWORD_PER_MIN', async (t) => {
  const token = (await bearerFor(chorus(), ['admin'])).Authorization!.slice('Bearer '.length);
  // The author and 3 voters: 8 registrations and logins, past 4 a minute.
  await t.throwsAsync(setUpTarget(new URL(chorus().url), token, 3, () => undefined), {
    instanceOf: TargetError,
    message: /registering voters: POST \/v1\/auth\/(register|login) answered 429 RATE_LIMITED.*CHORUS_RATE_LIMIT_PASSWORD_PER_MIN/,
  });
});
