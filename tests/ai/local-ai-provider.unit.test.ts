import test from 'ava';
import Sentiment from 'sentiment';
import { z } from 'zod';
import { FeedbackAnalysisSchema, feedbackTriageTask, type FeedbackAnalysis } from '../../application/feedback/feedback-triage-task.js';
import { ProviderUnavailable, type AiTask } from '../../application/ports/ai-provider.js';
import { FEEDBACK_CATEGORIES, SENTIMENTS, type FeedbackCategory, type Sentiment as FeedbackSentiment } from '../../domain/feedback/events.js';
import { LocalAiProvider, localTask } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';

const provider = new LocalAiProvider(localTasks);

/** The local provider's feedback triage, held to the task's schema as the chain holds every answer. */
async function analyze(text: string, signal: AbortSignal = new AbortController().signal, by: LocalAiProvider = provider): Promise<FeedbackAnalysis> {
  return FeedbackAnalysisSchema.parse(await by.run(feedbackTriageTask, { text }, signal));
}

type Labelled = Readonly<{ text: string; category: FeedbackCategory; sentiment: FeedbackSentiment }>;
const row = (text: string, category: FeedbackCategory, sentiment: FeedbackSentiment): Labelled => ({ text, category, sentiment });

/*
 * Customer feedback labelled by hand: the category triage should route it to, and the overall
 * sentiment. Bug and crash reports count as complaints even when worded flatly; mixed texts whose
 * praise and complaint balance out are neutral.
 */
const LABELLED_FEEDBACK: readonly Labelled[] = [
  // crash: crash terms win over bug terms and over where it happened
  row('The app crashes every time I try to upload a photo.', 'crash', 'negative'),
  row('Since the last update it freezes on the loading screen and I have to force close it.', 'crash', 'negative'),
  row('Checkout stopped working after I updated, the whole thing just shuts down.', 'crash', 'negative'),
  row('Android version keeps force closing when I open my order history. Very frustrating.', 'crash', 'negative'),
  row('Love the new design, but the app crashes whenever I rotate my phone.', 'crash', 'neutral'),
  row('Every time I open the camera screen the app just closes.', 'crash', 'negative'),
  row('Game froze twice during checkout and I lost my cart.', 'crash', 'negative'),
  row('Stopped working after two days, useless.', 'crash', 'negative'),
  row('Whenever I switch tabs the whole app locks up and I have to restart my phone.', 'crash', 'negative'),
  row('The app is unusable since version 4.2, it just shows a white screen.', 'crash', 'negative'),
  // bug
  row('I get an error message when I try to reset my password.', 'bug', 'negative'),
  row("The discount code field doesn't work, it says invalid code every time.", 'bug', 'negative'),
  row('Search results are wrong: filtering by size shows items that are out of stock.', 'bug', 'negative'),
  row("There's a glitch where my cart empties itself after I log in.", 'bug', 'negative'),
  row('Found a small bug, the dates on my invoices are off by one day. Otherwise everything is fine.', 'bug', 'neutral'),
  row('The site is fine but the checkout page throws an error when I pay with PayPal.', 'bug', 'negative'),
  row('I was charged twice for the same order and nobody answers my emails. Terrible.', 'bug', 'negative'),
  row("Can't log in since yesterday, it says my password is wrong even after resetting it.", 'bug', 'negative'),
  row('The total in the cart does not update when I remove an item.', 'bug', 'negative'),
  row('Broken link on the FAQ page.', 'bug', 'negative'),
  row('The page keeps reloading and I cannot submit the form.', 'bug', 'negative'),
  row('Images on the product page are not loading in Safari.', 'bug', 'negative'),
  row('The promo banner covers the Buy button on small screens, looks like a layout bug.', 'bug', 'negative'),
  row('Sorting by price does nothing.', 'bug', 'negative'),
  // feature
  row('Would love to see a dark mode option.', 'feature', 'positive'),
  row('Feature request: let me export my order history as CSV.', 'feature', 'neutral'),
  row('I wish I could schedule deliveries for a specific time of day.', 'feature', 'neutral'),
  row("It would be great if you added a size guide for kids' shoes.", 'feature', 'positive'),
  row('Great app, but please add a widget for the home screen.', 'feature', 'positive'),
  row('Please add Apple Pay to the iOS app.', 'feature', 'neutral'),
  row('Could you add an option to pay in installments?', 'feature', 'neutral'),
  row('It would be nice to filter reviews by star rating.', 'feature', 'positive'),
  row('Any plans to support Google Pay?', 'feature', 'neutral'),
  row('Your app is not bad, but I wish it had offline mode.', 'feature', 'positive'),
  row('Hey team, can you add Apple Watch support?', 'feature', 'neutral'),
  row('Would be awesome to have a family account so we can share the subscription.', 'feature', 'positive'),
  row('Please consider letting us pick a delivery slot.', 'feature', 'neutral'),
  // app
  row("App hasn't crashed once since the update, great job!", 'app', 'positive'),
  row('No bugs, no crashes, just a solid app.', 'app', 'positive'),
  row('The iOS app is really easy to use and looks beautiful.', 'app', 'positive'),
  row('The mobile app is slow and clunky compared to the old version.', 'app', 'negative'),
  row('Notifications on my Android phone arrive hours late.', 'app', 'neutral'),
  row('Not impressed. The update made the app harder to use and the fonts are tiny.', 'app', 'negative'),
  row('The Android app drains my battery.', 'app', 'negative'),
  row('Love the app, super intuitive.', 'app', 'positive'),
  row('The app is fantastic, I use it every day.', 'app', 'positive'),
  row('Push notifications are way too frequent and annoying.', 'app', 'negative'),
  // website
  row("Your website is confusing, I couldn't find the returns page anywhere.", 'website', 'negative'),
  row('The site looks great in my browser and checkout was quick and painless.', 'website', 'positive'),
  row('The new homepage design is clean and much easier to navigate.', 'website', 'positive'),
  row('Pages take ages to load in Firefox.', 'website', 'negative'),
  row('The website is so slow on mobile, took forever to check out.', 'website', 'negative'),
  row("I'm not happy with the new checkout flow on the site, too many steps.", 'website', 'negative'),
  row('Website is beautiful and easy to browse.', 'website', 'positive'),
  row('The site is a mess, nothing is where you expect it.', 'website', 'negative'),
  // quality
  row('The fabric feels cheap and the stitching came apart after two washes.', 'quality', 'negative'),
  row('Really durable backpack, the material has held up through a year of daily use.', 'quality', 'positive'),
  row('Build quality is excellent, it feels solid and well made.', 'quality', 'positive'),
  row('The handle is flimsy and snapped within a week.', 'quality', 'negative'),
  row('The shirt shrank after the first wash, poor quality.', 'quality', 'negative'),
  row('These boots are very well made and comfortable.', 'quality', 'positive'),
  row('The zipper broke after a month and the seams are coming loose.', 'quality', 'negative'),
  row('The material is thin and see-through, not what I expected for the price.', 'quality', 'negative'),
  row('Sturdy, well built and the finish is lovely.', 'quality', 'positive'),
  // product: general remarks, and the fallback when nothing more specific is said
  row('Love this product, exactly what I was looking for.', 'product', 'positive'),
  row("Not bad at all for the price, I'd buy it again.", 'product', 'positive'),
  row('The blender does what it says. Nothing special.', 'product', 'neutral'),
  row('I returned the jacket because it was too small.', 'product', 'neutral'),
  row('Honestly disappointed, the product looks nothing like the pictures.', 'product', 'negative'),
  row('Thanks!', 'product', 'positive'),
  row('Works great, no issues at all so far.', 'product', 'positive'),
  row('Arrived quickly and works as described. Happy with my purchase.', 'product', 'positive'),
  row('Terrible product, complete waste of money.', 'product', 'negative'),
  row('It is okay I guess.', 'product', 'neutral'),
  row('The colours are not as vibrant as in the photos.', 'product', 'negative'),
  row('Great product, great price, fast delivery!', 'product', 'positive'),
  row('Does the job. Nothing more, nothing less.', 'product', 'neutral'),
  row('Absolutely love it, my whole family uses it now!', 'product', 'positive'),
  row('Worst purchase ever, I want a refund.', 'product', 'negative'),
  row('It arrived on time.', 'product', 'neutral'),
  row("Honestly the best headphones I've owned.", 'product', 'positive'),
  row("I don't like the new logo.", 'product', 'negative'),
];

test('the labelled table covers every category and sentiment', (t) => {
  const distinct = (values: readonly string[]): string[] => [...new Set(values)].sort();
  t.deepEqual(distinct(LABELLED_FEEDBACK.map(({ category }) => category)), distinct(FEEDBACK_CATEGORIES));
  t.deepEqual(distinct(LABELLED_FEEDBACK.map(({ sentiment }) => sentiment)), distinct(SENTIMENTS));
  t.is(new Set(LABELLED_FEEDBACK.map(({ text }) => text)).size, LABELLED_FEEDBACK.length, 'each text once');
});

for (const { text, category, sentiment } of LABELLED_FEEDBACK) {
  test(`reads "${text}" as ${category}, ${sentiment}`, async (t) => {
    const analysis = await analyze(text);
    t.deepEqual({ category: analysis.category, sentiment: analysis.sentiment }, { category, sentiment });
  });
}

test('the same text always gets the same answer, from any instance', async (t) => {
  const again = new LocalAiProvider(localTasks);
  for (const { text } of LABELLED_FEEDBACK) {
    const first = await analyze(text);
    t.deepEqual(await analyze(text), first);
    t.deepEqual(await analyze(text, undefined, again), first);
  }
});

test('confidence is always within 0..1, and any signal is surer than none', async (t) => {
  for (const { text } of LABELLED_FEEDBACK) {
    const { confidence } = await analyze(text);
    t.true(confidence >= 0 && confidence <= 1, `${confidence} for "${text}"`);
  }
  const noSignal = await analyze('Hmm.');
  const weakSignal = await analyze('About the app.');
  t.true(weakSignal.confidence > noSignal.confidence);
});

test('confidence grows with the margin over the runner-up category', async (t) => {
  const clear = await analyze('The app crashes and freezes, then it force closes.');
  const contested = await analyze('Please add Apple Pay to the iOS app.');
  t.is(clear.category, 'crash');
  t.is(contested.category, 'feature');
  t.true(clear.confidence > contested.confidence, `${clear.confidence} vs ${contested.confidence}`);
});

test('text with no category signal falls back to product with low confidence', async (t) => {
  for (const text of ['', '   ', 'ok', 'Hmm.', '👍', 'asdf qwerty']) {
    const analysis = await analyze(text);
    t.deepEqual({ category: analysis.category, confidence: analysis.confidence }, { category: 'product', confidence: 0.3 }, JSON.stringify(text));
  }
  t.is((await analyze('')).sentiment, 'neutral');
});

test('one crash term outranks several generic bug terms', async (t) => {
  const analysis = await analyze('Error after error, broken buttons, glitchy menus, and then it crashed.');
  t.is(analysis.category, 'crash');
});

test('a denied defect is not reported as one, but a negator further away denies nothing', async (t) => {
  for (const text of ['It has never crashed on me.', 'Zero crashes and no bugs since I switched.', 'Runs without errors.']) {
    t.false(['crash', 'bug'].includes((await analyze(text)).category), text);
  }
  t.is((await analyze("I've never seen an app crash this often.")).category, 'crash');
  t.is((await analyze('It does not work and then it crashes.')).category, 'crash', 'a negator inside a matched phrase denies nothing');
});

test('"add to cart" is shopping, not a feature request', async (t) => {
  t.not((await analyze('I added it to my cart and paid, all good.')).category, 'feature');
  t.is((await analyze('Please add a gift wrap option.')).category, 'feature');
});

test('negation flips sentiment the way the sentiment package does, across one degree word', async (t) => {
  t.is((await analyze('not bad at all')).sentiment, 'positive');
  t.is((await analyze('The fit is not good.')).sentiment, 'negative');
  t.is((await analyze('The fit is not very good.')).sentiment, 'negative');
});

test('typographic apostrophes read like straight ones', async (t) => {
  t.deepEqual(await analyze('The export doesn’t work and I can’t log in.'), await analyze("The export doesn't work and I can't log in."));
});

test('analysing feedback leaves the sentiment package’s own English scores untouched', async (t) => {
  const english = new Sentiment();
  const before = english.analyze('slow flimsy buggy quality support');
  await analyze('slow flimsy buggy quality support');
  t.deepEqual(english.analyze('slow flimsy buggy quality support'), before);
});

test('an already-aborted signal is refused without an answer', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('caller gave up'));
  await t.throwsAsync(analyze('The app crashes.', controller.signal), { message: 'caller gave up' });
});

test('a live signal does not change the answer', async (t) => {
  const controller = new AbortController();
  t.deepEqual(await analyze('The app crashes.', controller.signal), await analyze('The app crashes.'));
});

test('words that name Object.prototype members are ordinary words', async (t) => {
  // "constructor" once found Object.prototype.constructor in a word table and made every analysis throw.
  const names = [...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype', 'hasOwnProperty'];
  for (const name of names) {
    const analysis = await analyze(`The ${name} page ${name}s when I click ${name}. ${name}!`);
    t.true((FEEDBACK_CATEGORIES as readonly string[]).includes(analysis.category), name);
    t.true((SENTIMENTS as readonly string[]).includes(analysis.sentiment), name);
  }
  t.like(await analyze('The constructor crashes every time'), { category: 'crash', sentiment: 'negative' });
});

const summaryTask: AiTask<{ notes: string }, { summary: string }> = {
  name: 'activity.summary',
  answer: z.object({ summary: z.string() }),
  describe: ({ notes }) => ({ instruction: 'Summarise these notes.', text: notes }),
};

test('it runs the tasks it has an implementation of, and says which', (t) => {
  t.true(provider.supports(feedbackTriageTask));
  t.false(provider.supports(summaryTask));
  t.false(new LocalAiProvider([]).supports(feedbackTriageTask));
});

test('a task without a local implementation is refused as unavailable, not crashed on', async (t) => {
  const error = await t.throwsAsync(provider.run(summaryTask, { notes: 'Called the customer.' }, new AbortController().signal), { instanceOf: ProviderUnavailable });
  t.is(error.message, 'the local provider has no implementation of activity.summary');
});

test('implementations are looked up by task name, each task once', async (t) => {
  const summaries = new LocalAiProvider([...localTasks, localTask(summaryTask, ({ notes }) => ({ summary: notes.slice(0, 6) }))]);
  t.deepEqual(await summaries.run(summaryTask, { notes: 'Called the customer.' }, new AbortController().signal), { summary: 'Called' });
  t.deepEqual(await analyze('The app crashes.', undefined, summaries), await analyze('The app crashes.'), 'the other tasks are unchanged');
  t.throws(() => new LocalAiProvider([...localTasks, ...localTasks]), { instanceOf: RangeError, message: /feedback\.triage/ });
});
