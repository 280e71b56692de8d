// The words of drafts and notes as the DFN's local provider sees them: case- and punctuation-blind keys, spoken
// formatting commands (two-word ones as one token), and the contexts an insertion is learned and applied by.

/** Spoken formatting commands and what they become when a speaker's final notes show they mean them. */
export const COMMANDS: ReadonlyMap<string, Readonly<{ punctuation: string } | { lineBreak: string }>> = new Map([
  ['period', { punctuation: '.' }],
  ['full stop', { punctuation: '.' }],
  ['comma', { punctuation: ',' }],
  ['colon', { punctuation: ':' }],
  ['semicolon', { punctuation: ';' }],
  ['question mark', { punctuation: '?' }],
  ['new line', { lineBreak: '\n' }],
  ['next line', { lineBreak: '\n' }],
  ['new paragraph', { lineBreak: '\n\n' }],
  ['next paragraph', { lineBreak: '\n\n' }],
]);
const TWO_WORD_COMMANDS = new Set([...COMMANDS.keys()].filter((command) => command.includes(' ')));

export type Token = Readonly<{ surface: string; key: string; lineStart: boolean }>;

/** Case- and edge-punctuation-blind: "Hypertension." and "hypertension" are the same word, said the same. */
export const wordKey = (word: string): string => word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '') || word;

/** Words with their keys; spoken two-word commands become one token ("new paragraph"), so they align as one. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const line of text.split('\n')) {
    let lineStart = true;
    for (const surface of line.split(/\s+/u)) {
      if (surface === '') continue;
      const key = wordKey(surface);
      const previous = tokens.at(-1);
      if (!lineStart && previous !== undefined && TWO_WORD_COMMANDS.has(`${previous.key} ${key}`)) {
        tokens[tokens.length - 1] = { surface: `${previous.surface} ${surface}`, key: `${previous.key} ${key}`, lineStart: previous.lineStart };
      } else {
        tokens.push({ surface, key, lineStart });
      }
      lineStart = false;
    }
  }
  return tokens;
}

export const keysOf = (tokens: readonly Token[]): string[] => tokens.map((token) => token.key);

const START = '^';
const END = '$';

/** The contexts of the gap before `keys[gap]`, most specific first. */
export function contextsAt(keys: readonly string[], gap: number): string[] {
  const previous = keys[gap - 1] ?? START;
  const next = keys[gap] ?? END;
  const nextTwo = gap + 1 < keys.length ? `${next} ${keys[gap + 1]}` : next === END ? END : `${next} ${END}`;
  return [`LR:${previous} ${next}`, `R:${nextTwo}`, `L:${previous}`];
}
