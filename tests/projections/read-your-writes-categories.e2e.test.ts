// Read-your-writes across contexts. A subscription sleeps through appends to categories it does not read and looks
// at the log only every CHORUS_POLL_INTERVAL_MS (here a minute, far past the wait's bound), so a read model that
// reads none of the categories written since its checkpoint must count the write as applied without its
// checkpoint having moved; a read model that does read them still waits for them.
import test from 'ava';
import { HttpSpecification } from '../support/http-specification.js';

const { call } = HttpSpecification({
  environment: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }),
  config: { CHORUS_POLL_INTERVAL_MS: '60000', CHORUS_MIN_POSITION_TIMEOUT_MS: '3000' },
  as: ['member'],
});

test.serial('a read with X-Chorus-Min-Position of a write to another context answers, and its own context sees it', async (t) => {
  const poll = await call('POST', '/v1/polls', { json: { question: 'Which day suits the retro?', options: ['Monday', 'Friday'] } });
  t.is(poll.status, 201);
  const feedback = await call('POST', '/v1/feedback', { json: { text: 'Search is slow on mobile', rating: 2 }, as: 'anonymous' });
  t.is(feedback.status, 201);
  const minPosition = { 'X-Chorus-Min-Position': feedback.body.position };

  const polls = await call('GET', '/v1/polls', { headers: minPosition });
  t.is(polls.status, 200, 'the polls read model reads no feedback: nothing of that write is left for it to apply');
  t.true(polls.body.items.some((item: { id: string }) => item.id === poll.body.id), 'and the earlier poll, of its own category, is in it');

  const read = await call('GET', `/v1/feedback/${feedback.body.id}`, { headers: minPosition, as: ['agent'] });
  t.is(read.status, 200, 'the feedback read model waited for the write itself');
  t.is(read.body.text, 'Search is slow on mobile');
});
