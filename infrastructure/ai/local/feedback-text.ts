// Turns feedback text into the normalised tokens the category lexicon is matched against.
// The lexicon goes through the same functions, so "Crashes", "crash" and "crash." all meet.

/**
 * Negative contractions become two tokens, so one lexicon phrase ("does not work")
 * matches "doesn't work", "doesnt work" and "does not work" alike.
 */
// A Map, not an object: a word of the text is the key, and "constructor" must not find Object.prototype's.
const CONTRACTIONS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries({
  aint: ['is', 'not'],
  arent: ['are', 'not'],
  cannot: ['can', 'not'],
  cant: ['can', 'not'],
  couldnt: ['could', 'not'],
  didnt: ['did', 'not'],
  doesnt: ['does', 'not'],
  dont: ['do', 'not'],
  hadnt: ['had', 'not'],
  hasnt: ['has', 'not'],
  havent: ['have', 'not'],
  isnt: ['is', 'not'],
  shouldnt: ['should', 'not'],
  wasnt: ['was', 'not'],
  werent: ['were', 'not'],
  wont: ['will', 'not'],
  wouldnt: ['would', 'not'],
}));

/** Clause breaks: a phrase never spans them, and a negator never reaches across them. */
const CLAUSE_BREAK = /[.!?;:,()\n\r\u2026]+|\s+-\s+|\bbut\b|\bhowever\b|\balthough\b|\bthough\b/u;
const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/**
 * Light stemming: plural and third-person "s" only ("apps" → "app", "crashes" → "crash",
 * "replies" → "reply"). Past tenses and "-ing" forms are listed in the lexicon explicitly,
 * because a suffix stripper that also handled them would merge words triage must keep apart.
 * Applied to both sides, so an odd stem ("does" → "doe") still matches itself.
 */
export function stem(token: string): string {
  if (token.length <= 3) return token;
  if (token.endsWith('ies') && token.length > 4) return `${token.slice(0, -3)}y`;
  if (/(?:ss|sh|ch|x)es$/u.test(token)) return token.slice(0, -2);
  if (token.endsWith('s') && !/(?:ss|us|is|os)$/u.test(token)) return token.slice(0, -1);
  return token;
}

/** Lowercases, folds typographic apostrophes and compatibility characters, keeps letters and digits. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019\u02bc`\u00b4]/gu, "'");
}

function tokensOf(clause: string): string[] {
  const tokens: string[] = [];
  for (const [word] of clause.matchAll(WORD)) {
    const bare = word.replaceAll("'", '');
    const expanded = CONTRACTIONS.get(bare) ?? [bare];
    for (const token of expanded) tokens.push(stem(token));
  }
  return tokens;
}

/** The text as clauses of normalised, stemmed tokens; empty clauses are dropped. */
export function tokeniseClauses(text: string): string[][] {
  return normaliseText(text)
    .split(CLAUSE_BREAK)
    .map(tokensOf)
    .filter((clause) => clause.length > 0);
}

/** A lexicon phrase in the same normalised form as the text's tokens. */
export function normalisePhrase(phrase: string): string {
  return tokensOf(normaliseText(phrase)).join(' ');
}
