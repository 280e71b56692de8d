// The load test's setup against a Chorus that takes no registrations (CHORUS_SIGNUP=closed): the run goes on with
// what needs no registered user, and says why the rest is left out.
import test from 'ava';
import { HttpSpecification, bearerFor } from '../support/http-specification.js';
import { roundFor } from './load-plan.js';
import { setUpTarget } from './target-setup.js';

const { chorus } = HttpSpecification({ config: { CHORUS_SIGNUP: 'closed' } });

test('closed signup: feedback only, the poll and feed endpoints left out with the reason', async (t) => {
  const token = (await bearerFor(chorus(), ['admin'])).Authorization!.slice('Bearer '.length);
  const setup = await setUpTarget(new URL(chorus().url), token, 3, () => undefined);
  t.deepEqual(setup.availability.usable, ['feedback.submit', 'feedback.list', 'feedback.stats']);
  t.regex(setup.availability.skipped['poll.vote'] ?? '', /signup is closed on the target \(CHORUS_SIGNUP=closed\): POST \/v1\/auth\/register answered 403 AUTH\.SIGNUP_CLOSED/);
  t.deepEqual(setup.cast, { voterTokens: [], polls: [] });
  t.false(roundFor(setup.availability.usable).includes('feed.read'));
});
