// The local provider's CRM tasks: real text processing, checked on what it reads, and held to the tasks' schemas
// through the provider chain like any provider's answer.
import test from 'ava';
import { ProviderChain } from '../../application/ai/provider-chain.js';
import { extractLeadTask, summarizeActivityTask, type SummarizeActivityInput } from '../../application/crm/lead-ai-tasks.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { extractLeadLocally } from '../../infrastructure/ai/local/local-lead-extraction.js';
import { extractiveSummary, leadSentimentOf, nextActionOf, summarizeLocally } from '../../infrastructure/ai/local/local-lead-summary.js';
import { toGeminiSchema } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';
import { systemClock } from '../../infrastructure/clock-and-ids.js';

const lead = (status: SummarizeActivityInput['lead']['status'] = 'contacted'): SummarizeActivityInput['lead'] => ({ name: 'Ada Lovelace', company: 'Analytical', status, value: 12500 });
const activity = (text: string, day = '01', kind: 'call' | 'email' | 'meeting' | 'note' = 'call') => ({ kind, text, occurredAt: `2026-12-${day}T10:00:00.000Z` });

test('the summary counts the activities and quotes the sentences that carry the most repeated content, in time order', (t) => {
  const summary = extractiveSummary({
    lead: lead(),
    activities: [
      activity('Intro call about their reporting. The weather was nice.', '01'),
      activity('Reporting is manual and slow; they want automated reporting dashboards.', '02', 'email'),
      activity('Booked a reporting dashboards demo for the whole team.', '03', 'meeting'),
    ],
  });
  t.true(summary.startsWith('Ada Lovelace (Analytical), contacted: 1 call, 1 email, 1 meeting from 2026-12-01 to 2026-12-03.'), summary);
  t.true(summary.includes('Reporting is manual and slow; they want automated reporting dashboards.'));
  t.true(summary.includes('Booked a reporting dashboards demo for the whole team.'));
  t.false(summary.includes('weather'), 'a sentence about nothing recurring is left out');
  t.true(summary.indexOf('Reporting is manual') < summary.indexOf('Booked'), 'in time order');
});

test('a long activity is clipped, and the summary stays within its schema', (t) => {
  const answer = summarizeLocally({ lead: lead('new'), activities: [activity(`${'word '.repeat(400)}end.`)] });
  t.true(answer.summary.length <= 1000);
  t.true(summarizeActivityTask.answer.safeParse(answer).success);
});

test('the next action follows the latest activity\'s cue and names the date it mentions', (t) => {
  const next = (text: string, status: SummarizeActivityInput['lead']['status'] = 'contacted') =>
    nextActionOf({ lead: lead(status), activities: [activity('Old note about a demo'), activity(text, '02')] });
  t.is(next('They want a proposal with pricing by Friday'), 'Send Ada Lovelace the proposal with pricing (they mentioned: by friday).');
  t.is(next('Left a voicemail, no answer'), 'Try Ada Lovelace again, by email if calls go unanswered.');
  t.is(next('Asked to call back tomorrow'), 'Call Ada Lovelace back (they mentioned: tomorrow).');
  t.is(next('Ready to sign, send the contract'), 'Send Ada Lovelace the contract for signature.');
  t.is(next('Not interested right now, no budget'), 'Ask Ada Lovelace what would change their mind, or mark the lead lost.');
  t.is(next('Chatted about the weather'), 'Qualify Ada Lovelace: confirm budget, decision maker, need and timeline.');
  t.is(next('Chatted about the weather', 'new'), 'Make first contact with Ada Lovelace.');
  t.is(next('They want a proposal', 'won'), 'Hand Ada Lovelace over to onboarding and book the kick-off.', 'a closed lead follows its status');
});

test('the sentiment weighs the latest activities', (t) => {
  const sentiment = (...texts: string[]) => leadSentimentOf({ lead: lead(), activities: texts.map((text, n) => activity(text, `0${n + 1}`)) });
  t.is(sentiment('They love the product and are excited to start.'), 'positive');
  t.is(sentiment('Angry about the delays, terrible experience, they are unhappy.'), 'negative');
  t.is(sentiment('Sent the invoice.'), 'neutral');
  t.is(sentiment('Terrible first call, angry.', 'Fine.', 'Sent docs.', 'Great follow-up, they are happy and excited.'), 'positive', 'the oldest of four is not read');
});

test('extraction reads a signature: name, company, phone and email', (t) => {
  t.deepEqual(extractLeadLocally('Best regards,\nGrace Hopper\nHead of Engineering | Cobol Systems Ltd\n+1 (555) 010-4477\ngrace.hopper@cobolsystems.com'), {
    name: 'Grace Hopper',
    email: 'grace.hopper@cobolsystems.com',
    phone: '+1 (555) 010-4477',
    company: 'Cobol Systems Ltd',
  });
  t.deepEqual(extractLeadLocally('alan.turing@gmail.com'), { name: 'Alan Turing', email: 'alan.turing@gmail.com', phone: null, company: null }, 'free mail names no company');
  t.deepEqual(extractLeadLocally('Reach me at ada@analytical.io'), { name: null, email: 'ada@analytical.io', phone: null, company: 'Analytical' });
  t.deepEqual(
    extractLeadLocally('Grace Hopper, CTO at Navy Labs Inc, grace@navylabs.com'),
    { name: 'Grace Hopper', email: 'grace@navylabs.com', phone: null, company: 'Navy Labs Inc' },
    'a title before "at" is not part of the company',
  );
  t.is(extractLeadLocally('Grace Hopper, CTO at Navy Labs, grace@gmail.com').company, 'Navy Labs', 'nor is it when the company has no legal suffix');
  t.deepEqual(extractLeadLocally('nothing useful here'), { name: null, email: null, phone: null, company: null });
});

test('through the chain, the local provider answers both tasks within their schemas; Gemini can express both', async (t) => {
  const chain = new ProviderChain([new LocalAiProvider(localTasks)], { clock: systemClock, timeoutMs: 1000, failureThreshold: 3, openMs: 1000 });
  const summary = await chain.run(summarizeActivityTask, { lead: lead(), activities: [activity('Great call, they want a demo next week.')] });
  t.is(summary.provider, 'local');
  t.like(summary.answer, { sentiment: 'positive', nextAction: 'Schedule the demo with Ada Lovelace (they mentioned: next week).' });
  const extracted = await chain.run(extractLeadTask, { text: 'Linus Torvalds\nlinus@kernel.org' });
  t.like(extracted.answer, { name: 'Linus Torvalds', email: 'linus@kernel.org', company: 'Kernel' });
  t.notThrows(() => toGeminiSchema(summarizeActivityTask.answer));
  t.notThrows(() => toGeminiSchema(extractLeadTask.answer));
});
