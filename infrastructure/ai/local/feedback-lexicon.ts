// The vocabulary of the local provider: which words and short phrases point to which feedback category,
// and the product-feedback words that AFINN-165 (a general-purpose sentiment list) lacks.
import type { FeedbackCategory } from '../../../domain/feedback/events.js';

/** A phrase in natural form (it is normalised like the text) and how strongly it points to its category. */
export type LexiconTerm = readonly [phrase: string, weight: number];

/*
 * Weights: 3 is a term that on its own names the category ("crashes", "feature request", "flimsy");
 * 2 is a strong hint; 1 to 1.5 is context ("page", "phone", "price").
 * The defect and request categories carry heavier terms than the "where" categories (app, website)
 * because triage routes "the app crashes" to crash handling, not to the app team's inbox.
 * Longer phrases win over the words inside them: "force close" is matched before "close",
 * "add to cart" (a neutral phrase below) before "add".
 */
export const CATEGORY_LEXICON: Readonly<Record<FeedbackCategory, readonly LexiconTerm[]>> = {
  crash: [
    ['crash', 3], ['crashed', 3], ['crashing', 3], ['crashy', 3],
    ['freeze', 3], ['froze', 3], ['frozen', 2.5], ['freezing', 2.5],
    ['force close', 3], ['force closed', 3], ['force closing', 3], ['force quit', 3],
    ['stopped working', 3], ['stops working', 3], ['keeps closing', 3], ['closes itself', 3],
    ['closes unexpectedly', 3], ['quits unexpectedly', 3], ['shuts down', 2.5],
    ['hangs', 2.5], ['hung', 2], ['not responding', 3], ['unresponsive', 2.5],
    ['black screen', 3], ['white screen', 2.5], ['blank screen', 2.5], ['blue screen', 3],
    ['will not open', 3], ['will not launch', 3], ['will not start', 3], ['does not open', 3],
    ['does not launch', 3], ['does not start', 2.5], ['kicks me out', 3], ['kicked me out', 3],
    ['keeps restarting', 3], ['boot loop', 3], ['just closes', 3], ['closes on its own', 3], ['suddenly closes', 3],
    ['locks up', 3], ['locked up', 3],
  ],
  bug: [
    ['bug', 3], ['buggy', 3], ['glitch', 3], ['glitchy', 3], ['regression', 3],
    ['error', 2], ['error message', 3], ['broken', 2], ['fail', 2], ['failed', 2], ['failing', 2], ['failure', 2],
    ['does not work', 3], ['did not work', 3], ['not work', 2.5], ['not working', 3], ['no longer work', 3],
    ['not load', 2.5], ['not loading', 3], ['never load', 3], ['not save', 2.5], ['not saving', 3],
    ['not sync', 2.5], ['not syncing', 3], ['not show', 2], ['not showing', 2.5], ['not update', 2],
    ['can not log in', 3], ['can not login', 3], ['can not sign in', 3],
    ['logs me out', 2.5], ['logged me out', 2.5], ['keeps logging me out', 3],
    ['wrong', 1.5], ['incorrect', 2], ['invalid', 1.5], ['off by one', 2.5], ['typo', 2],
    ['404', 3], ['stuck', 2], ['infinite loop', 3], ['timed out', 2], ['timeout', 2],
    ['keeps reloading', 3], ['keeps refreshing', 3], ['keeps asking', 2], ['keeps happening', 2],
    ['does nothing', 2.5], ['did nothing', 2.5], ['nothing happens', 3], ['nothing happened', 3],
    ['can not submit', 2.5], ['can not pay', 2.5], ['can not check out', 2.5], ['can not checkout', 2.5],
    ['can not save', 2.5], ['can not upload', 2.5], ['can not download', 2.5], ['can not open', 2.5],
    ['charged twice', 3], ['double charged', 3], ['duplicate', 1.5], ['disappeared', 1.5], ['vanished', 1.5],
    ['fix', 1.5], ['please fix', 2.5], ['issue', 1], ['problem', 1], ['unable to', 1.5],
  ],
  feature: [
    ['feature', 2], ['feature request', 4], ['new feature', 3], ['request', 1.5], ['suggestion', 2], ['suggest', 1.5],
    ['add', 2], ['please add', 3], ['could you add', 3], ['can you add', 3], ['add support', 3], ['adding', 1.5],
    ['would love', 2.5], ['would like', 2], ['would be great', 2.5], ['would be nice', 2.5],
    ['would be helpful', 2.5], ['would be useful', 2.5], ['would be awesome', 2.5], ['would be cool', 2.5],
    ['wish', 2.5], ['please support', 3], ['support for', 2.5], ['option to', 2], ['ability to', 2.5],
    ['be able to', 1.5], ['should be able', 2], ['allow', 1.5], ['let me', 1.5], ['let us', 1.5], ['letting me', 1.5], ['letting us', 1.5],
    ['consider', 1.5], ['please consider', 2.5],
    ['integrate', 2], ['integration', 2], ['roadmap', 2], ['any plans', 2], ['in the future', 1.5], ['hope you', 1.5],
  ],
  app: [
    ['app', 1.5], ['mobile app', 2.5], ['application', 1], ['ios', 2], ['iphone', 2], ['ipad', 2], ['android', 2],
    ['mobile', 1.5], ['phone', 1], ['tablet', 1.5], ['app store', 2.5], ['play store', 2.5], ['google play', 2.5],
    ['notification', 1.5], ['push notification', 2.5], ['widget', 1.5], ['home screen', 1.5],
    ['install', 1.5], ['installed', 1.5], ['reinstall', 2], ['reinstalled', 2], ['face id', 2], ['touch id', 2],
    ['swipe', 1.5], ['tap', 1], ['battery', 1.5],
  ],
  website: [
    ['website', 2], ['web site', 2], ['site', 1.5], ['webpage', 2], ['web page', 2], ['page', 1],
    ['homepage', 2], ['home page', 2], ['landing page', 2], ['checkout page', 2], ['desktop site', 2.5],
    ['web version', 2.5], ['web app', 2.5], ['online store', 2], ['web', 1], ['browser', 2], ['chrome', 2],
    ['firefox', 2], ['safari', 2], ['url', 2], ['link', 1], ['www', 2], ['http', 2],
    ['navigate', 1], ['navigation', 1], ['footer', 2], ['cookie banner', 2], ['popup', 1.5], ['pop up', 1.5],
    ['search bar', 1], ['desktop', 1.5],
  ],
  quality: [
    ['quality', 2], ['build quality', 3], ['poor quality', 3], ['low quality', 3], ['high quality', 2.5],
    ['quality control', 3], ['cheap', 2], ['cheaply', 2.5], ['cheaply made', 3], ['feels cheap', 3],
    ['durable', 2.5], ['durability', 2.5], ['material', 2], ['fabric', 2], ['stitching', 2.5], ['seam', 2],
    ['flimsy', 3], ['sturdy', 2.5], ['well made', 3], ['well built', 3], ['poorly made', 3], ['craftsmanship', 3],
    ['fell apart', 3], ['came apart', 3], ['falling apart', 3], ['broke after', 2.5], ['broke within', 2.5],
    ['snapped', 2], ['wore out', 2.5], ['worn out', 2.5], ['held up', 2], ['holds up', 2], ['lasted', 1.5],
    ['plastic', 1.5], ['leather', 1.5], ['zipper', 2], ['peeling', 2], ['faded', 2], ['shrank', 2], ['shrunk', 2],
    ['ripped', 2], ['torn', 2], ['defective', 2.5], ['manufacturing defect', 3], ['rusted', 2], ['wobbly', 2],
  ],
  product: [
    ['product', 1.5], ['item', 1], ['purchase', 1], ['purchased', 1], ['bought', 1], ['buy', 1],
    ['value for money', 2], ['for the price', 1.5], ['price', 1], ['worth', 1], ['as described', 1.5],
    ['exactly what', 1.5], ['does what it says', 2], ['recommend', 1], ['returned', 1], ['refund', 1],
    ['delivery', 1], ['shipping', 1], ['packaging', 1], ['brand', 1], ['picture', 1], ['photo', 1], ['photos', 1], ['size', 0.5], ['fit', 0.5],
  ],
};

/**
 * Phrases that contain a category word but are not evidence for it ("add to cart" is shopping,
 * not a feature request; "bug-free" praises). Matching them first keeps their words from counting.
 */
export const NEUTRAL_PHRASES: readonly string[] = [
  'add to cart', 'added to cart', 'add to my cart', 'added to my cart', 'add to basket', 'added to basket',
  'bug free', 'crash free', 'error free', 'glitch free',
];

/** Categories whose terms say something is wrong; "never crashes" or "no bugs" must not report one. */
export const DEFECT_CATEGORIES: ReadonlySet<FeedbackCategory> = new Set(['crash', 'bug']);

/**
 * Where a defect or request was seen, not what it is: when the text reports a defect or asks for
 * something, these categories count at this fraction ("please add Apple Pay to the iOS app" is a request).
 */
export const SURFACE_CATEGORIES: ReadonlySet<FeedbackCategory> = new Set(['app', 'website']);
export const ACTION_CATEGORIES: ReadonlySet<FeedbackCategory> = new Set(['crash', 'bug', 'feature']);
export const SURFACE_WEIGHT_BESIDE_ACTION = 0.5;

/** A negator this close before a defect term cancels it ("hasn't crashed once", "without any errors"). */
export const DEFECT_NEGATORS: ReadonlySet<string> = new Set(['no', 'not', 'never', 'without', 'zero']);
export const DEFECT_NEGATION_WINDOW = 3;

/**
 * Ties go to the category triage must see first: a crash outranks a bug, a defect outranks a request,
 * a request outranks where it was seen, and general product remarks come last.
 */
export const CATEGORY_PRECEDENCE: readonly FeedbackCategory[] = ['crash', 'bug', 'feature', 'app', 'website', 'quality', 'product'];

/**
 * Product-feedback words missing from AFINN-165, scored on its -5..5 scale. Only words whose
 * polarity is stable in customer feedback are here ("cheap" reads as a complaint far more than as praise).
 */
export const SENTIMENT_EXTRAS: Readonly<Record<string, number>> = {
  crashes: -2, crashed: -2, crashing: -2, crashy: -2, freezes: -2, froze: -2,
  buggy: -2, glitchy: -2, glitch: -1, glitches: -1, laggy: -2, slow: -2, clunky: -2,
  unusable: -3, unresponsive: -2, unreliable: -2, flimsy: -2, cheaply: -2, cheap: -2, shoddy: -2,
  drains: -2, drained: -2, shrank: -2, shrunk: -2, wobbly: -1,
  // Topics, not verdicts, in product feedback: AFINN's +2 would turn "poor quality" neutral
  // and "can you add Watch support?" positive.
  quality: 0, support: 0,
  mediocre: -1, meh: -1, outdated: -1, cluttered: -1, overpriced: -2, junk: -2,
  sturdy: 2, intuitive: 2, smooth: 2, fast: 2, quick: 1, painless: 2, decent: 1, stylish: 2, comfy: 2,
};

/**
 * Multi-word expressions AFINN cannot see because it scores one word at a time. Each is joined
 * into a single token before scoring, so the package's negation rule still applies to it.
 */
export const SENTIMENT_IDIOMS: Readonly<Record<string, number>> = {
  'takes ages': -2, 'take ages': -2, 'took ages': -2, 'takes forever': -2, 'take forever': -2, 'took forever': -2,
  'fell apart': -2, 'came apart': -2, 'falling apart': -2, 'rip off': -3, 'waste of money': -3, 'waste of time': -3,
  'works like a charm': 3, 'worth every penny': 3, 'value for money': 2,
  'not what i expected': -2, 'not as described': -2,
  // With "quality" itself scored 0 (see SENTIMENT_EXTRAS), its verdicts are spelled out here.
  'high quality': 2, 'top quality': 2, 'low quality': -2,
  // "like" as a comparison, not a liking: AFINN would score "looks like a layout bug" +2.
  'looks like': 0, 'look like': 0, 'feels like': 0, 'feel like': 0, 'seems like': 0, 'sounds like': 0,
};

/**
 * Words that flip the score of the word right after them. The package's English list
 * (not, don't, isn't, can't, won't, ...) extended with forms it misses.
 */
export const SENTIMENT_NEGATORS: readonly string[] = [
  'not', 'non', 'no', 'never', 'without', 'nothing',
  "can't", 'cant', 'cannot', "don't", 'dont', "doesn't", 'doesnt', "didn't", 'didnt', "won't", 'wont',
  "isn't", 'isnt', "wasn't", 'wasnt', "aren't", 'arent', "weren't", 'werent', "hasn't", 'hasnt',
  "haven't", 'havent', "couldn't", 'couldnt', "wouldn't", 'wouldnt', "shouldn't", 'shouldnt',
];

/**
 * Degree words a negation reaches across: "not very good", "not as vibrant", "isn't that great".
 * The package only looks one word back, which reads those as praise.
 */
export const NEGATION_BRIDGES: readonly string[] = ['very', 'so', 'too', 'that', 'as', 'really', 'overly', 'particularly', 'exactly', 'all', 'quite'];
