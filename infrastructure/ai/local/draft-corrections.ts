// The local provider's draft final note, learning: corrections from retrieved (draft, final note) pairs (applied to
// a new draft by apply-corrections.ts). Each pair's draft is aligned to its final note word by word (domain/drafts/word-alignment.ts)
// in two passes: the first finds the words a speaker's drafts lose every time (fillers, spoken formatting
// commands); the second, on drafts without them, finds phrase replacements (misrecognitions, deletions) and
// insertions (section headings) with the words around them. Only what recurs across pairs, and holds at most of
// the places it could apply, is applied: a correction seen once, or contradicted as often as confirmed, is not.
import { alignWords, type AlignmentStep } from '../../../domain/drafts/word-alignment.js';
import { COMMANDS, contextsAt, keysOf, tokenize, type Token } from './draft-words.js';

export const LOCAL_FINAL_NOTE_MODEL = 'local-corrections-v1';

export type CorrectionOptions = Readonly<{
  /** Times a correction must be seen, in at least `minPairs` different pairs. */
  minSupport: number;
  minPairs: number;
  /** Share of the places a correction could apply at which the final notes made it. */
  minConsistency: number;
  /** Words of each pair aligned: alignment costs their product in time and memory. */
  maxAlignedWords: number;
}>;

export const DEFAULT_CORRECTION_OPTIONS: CorrectionOptions = { minSupport: 2, minPairs: 2, minConsistency: 0.6, maxAlignedWords: 1500 };
/** Words that vanish are held to more: dropping a word that mattered loses content, not just form. */
const DROP_CONSISTENCY = 0.8;
/** The longest draft phrase a replacement is learned for. */
export const MAX_REPLACED_WORDS = 3;
const MAX_INSERTED_WORDS = 6;

/** A stretch of an alignment between two matched words: what the draft had there and what the note has instead. */
type Region = Readonly<{ hyp: readonly Token[]; ref: readonly Token[]; at: number; touchesEnd: boolean }>;

function regionsOf(hyp: readonly Token[], ref: readonly Token[], steps: readonly AlignmentStep[]): Region[] {
  const regions: Region[] = [];
  let i = 0;
  let j = 0;
  let open: { hyp: Token[]; ref: Token[]; at: number } | null = null;
  const close = (touchesEnd: boolean): void => {
    if (open !== null) regions.push({ ...open, touchesEnd });
    open = null;
  };
  for (const step of steps) {
    if (step.kind === 'equal') {
      close(false);
      i++;
      j++;
      continue;
    }
    open ??= { hyp: [], ref: [], at: i };
    if (step.kind !== 'missing') open.hyp.push(hyp[i++]!);
    if (step.kind !== 'extra') open.ref.push(ref[j++]!);
  }
  close(true);
  // A line the note starts inside a rewritten stretch opens an insertion of its own (a heading after a corrected
  // word): "hyper tension" to "hypertension." then "EXAMINATION:", not to both at once.
  return regions.flatMap((region) => {
    const split = region.ref.findIndex((token, n) => n > 0 && token.lineStart);
    if (region.hyp.length === 0 || split < 0) return [region];
    return [
      { hyp: region.hyp, ref: region.ref.slice(0, split), at: region.at, touchesEnd: false },
      { hyp: [], ref: region.ref.slice(split), at: region.at + region.hyp.length, touchesEnd: region.touchesEnd },
    ];
  });
}

/** The pair cut to `max` draft words and as much of the note; the cut's ragged end is left out of what is learned. */
function alignable(draft: Token[], note: Token[], max: number): { hyp: Token[]; ref: Token[]; cut: boolean } {
  if (draft.length <= max && note.length <= max) return { hyp: draft, ref: note, cut: false };
  const ratio = max / Math.max(draft.length, note.length);
  return { hyp: draft.slice(0, Math.ceil(draft.length * ratio)), ref: note.slice(0, Math.ceil(note.length * ratio)), cut: true };
}

/**
 * Whether the note shows the command's effect where the alignment has reached `next` (the note's next word): the
 * mark on the word before, or a line starting at the next. A command the alignment paired with a note word
 * (`paired`) may stand for either side of that word: which word of a rewritten stretch pairs with which is arbitrary.
 */
function marked(command: string, ref: readonly Token[], next: number, paired: boolean): boolean {
  const effect = COMMANDS.get(command)!;
  const at = (index: number): Token | undefined => (index >= 0 ? ref[index] : undefined);
  if ('lineBreak' in effect) return at(next)?.lineStart === true || (paired && at(next + 1)?.lineStart === true);
  return at(next - 1)?.surface.endsWith(effect.punctuation) === true || (paired && at(next)?.surface.endsWith(effect.punctuation) === true);
}

/** Levenshtein distance over characters, for the few short words of one region. */
function characterDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

const MAX_REGION_WORDS = 6;

/**
 * The draft words of a region that the note simply lost: all of them when the note has nothing there; otherwise
 * those outside the run of draft words that spells the note's words best ("um hyper tension" for "hypertension"
 * loses "um"), when that run spells them closely. Which words an alignment pairs inside a region is arbitrary;
 * spelling is not.
 */
function extraWords(region: Region): readonly Token[] {
  if (region.ref.length === 0) return region.hyp;
  if (region.hyp.length < 2 || region.hyp.length > MAX_REGION_WORDS || region.ref.length > MAX_REGION_WORDS) return [];
  const target = region.ref.map((token) => token.key).join('');
  let best = { start: 0, end: region.hyp.length, distance: Number.POSITIVE_INFINITY };
  for (let start = 0; start < region.hyp.length; start++) {
    for (let end = start + 1; end <= region.hyp.length; end++) {
      const distance = characterDistance(keysOf(region.hyp.slice(start, end)).join(''), target);
      if (distance < best.distance) best = { start, end, distance };
    }
  }
  if (best.distance * 3 > target.length) return [];
  return [...region.hyp.slice(0, best.start), ...region.hyp.slice(best.end)];
}

const phraseKey = (tokens: readonly Token[]): string => keysOf(tokens).join(' ');

/** A note's word as a replacement: sentence case and closing punctuation are formatting, not the word ("COPD" stays). */
function replacementSurface(surface: string): string {
  const bare = surface.replace(/[.,;:?!]+$/u, '');
  const rest = bare.slice(1);
  return rest === rest.toLowerCase() ? bare.toLowerCase() : bare;
}

type Tally = { count: number; pairs: Set<number> };
const tally = (map: Map<string, Tally>, key: string, pair: number): void => {
  const entry = map.get(key) ?? { count: 0, pairs: new Set<number>() };
  entry.count++;
  entry.pairs.add(pair);
  map.set(key, entry);
};
const count = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

export type Insertion = Readonly<{ text: string; lineStart: boolean; support: number }>;

/** What was learned: words to drop (or, for commands, to render), phrase replacements, and insertions by context. */
export type Corrections = Readonly<{
  dropped: ReadonlySet<string>;
  /** Draft phrase (keys, space-separated) to the note's words; an empty list deletes the phrase. */
  replacements: ReadonlyMap<string, readonly string[]>;
  /** By context: `L:<previous word>`, `R:<next two words>` or `LR:<previous> <next>` (`^`, `$` at the ends). */
  insertions: ReadonlyMap<string, Insertion>;
}>;


export type TrainingPair = Readonly<{ draft: string; finalNote: string }>;

export function learnCorrections(pairs: readonly TrainingPair[], options: CorrectionOptions = DEFAULT_CORRECTION_OPTIONS): Corrections {
  const tokenized = pairs.map((pair) => alignable(tokenize(pair.draft), tokenize(pair.finalNote), options.maxAlignedWords));
  const qualifies = (entry: Tally, occurrences: number, consistency: number): boolean =>
    entry.count >= options.minSupport && entry.pairs.size >= options.minPairs && entry.count / Math.max(occurrences, entry.count) >= consistency;

  // Pass 1: words the notes drop. A spoken command counts as meant wherever the note has its mark instead (the
  // punctuation on the word before, a line starting there), whatever the words around it became; any
  // other word only where it stands alone between matched words.
  const droppedTally = new Map<string, Tally>();
  const keptCounts = new Map<string, number>();
  tokenized.forEach(({ hyp, ref, cut }, pair) => {
    const steps = alignWords(keysOf(hyp), keysOf(ref));
    let i = 0;
    let j = 0;
    for (const step of steps) {
      if (step.kind === 'equal') count(keptCounts, hyp[i]!.key);
      else if (step.kind !== 'missing' && COMMANDS.has(hyp[i]!.key) && marked(hyp[i]!.key, ref, j, step.kind === 'substitute')) tally(droppedTally, hyp[i]!.key, pair);
      if (step.kind !== 'missing') i++;
      if (step.kind !== 'extra') j++;
    }
    for (const region of regionsOf(hyp, ref, steps)) {
      if (cut && region.touchesEnd) continue;
      for (const token of extraWords(region)) if (!COMMANDS.has(token.key)) tally(droppedTally, token.key, pair);
    }
  });
  // Against a drop counts only a note that kept the word; a word inside a rewritten stretch says nothing either way.
  const dropped = new Set([...droppedTally].filter(([key, entry]) => qualifies(entry, entry.count + (keptCounts.get(key) ?? 0), DROP_CONSISTENCY)).map(([key]) => key));

  // Pass 2: on drafts without those words, replacements and insertions, each against how often it could have applied.
  const replacementTally = new Map<string, Map<string, Tally>>();
  const insertionTally = new Map<string, Map<string, Tally & { lineStart: number }>>();
  const phraseCounts = new Map<string, number>();
  const contextCounts = new Map<string, number>();
  tokenized.forEach(({ hyp: full, ref, cut }, pair) => {
    const hyp = full.filter((token) => !dropped.has(token.key));
    const keys = keysOf(hyp);
    for (let start = 0; start < keys.length; start++) {
      for (let length = 1; length <= MAX_REPLACED_WORDS && start + length <= keys.length; length++) count(phraseCounts, keys.slice(start, start + length).join(' '));
    }
    for (let gap = 0; gap <= keys.length; gap++) for (const context of contextsAt(keys, gap)) count(contextCounts, context);
    for (const region of regionsOf(hyp, ref, alignWords(keys, keysOf(ref)))) {
      if (cut && region.touchesEnd) continue;
      if (region.hyp.length === 0) {
        if (region.ref.length > MAX_INSERTED_WORDS) continue;
        const text = region.ref.map((token) => token.surface).join(' ');
        for (const context of contextsAt(keys, region.at)) {
          const byText = insertionTally.get(context) ?? new Map<string, Tally & { lineStart: number }>();
          const entry = byText.get(text) ?? { count: 0, pairs: new Set<number>(), lineStart: 0 };
          entry.count++;
          entry.pairs.add(pair);
          if (region.ref[0]!.lineStart) entry.lineStart++;
          byText.set(text, entry);
          insertionTally.set(context, byText);
        }
      } else if (region.hyp.length <= MAX_REPLACED_WORDS && region.ref.length <= MAX_REPLACED_WORDS) {
        const from = phraseKey(region.hyp);
        const byReplacement = replacementTally.get(from) ?? new Map<string, Tally>();
        tally(byReplacement, region.ref.map((token) => replacementSurface(token.surface)).join(' '), pair);
        replacementTally.set(from, byReplacement);
      }
    }
  });
  const best = <T extends Tally>(candidates: Map<string, T>): [string, T] =>
    [...candidates].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0))[0]!;
  const replacements = new Map<string, readonly string[]>();
  for (const [from, candidates] of replacementTally) {
    const [to, entry] = best(candidates);
    if (qualifies(entry, phraseCounts.get(from) ?? 0, from.includes(' ') || to !== '' ? options.minConsistency : DROP_CONSISTENCY)) {
      replacements.set(from, to === '' ? [] : to.split(' '));
    }
  }
  const insertions = new Map<string, Insertion>();
  for (const [context, candidates] of insertionTally) {
    const [text, entry] = best(candidates);
    if (qualifies(entry, contextCounts.get(context) ?? 0, options.minConsistency)) insertions.set(context, { text, lineStart: entry.lineStart * 2 > entry.count, support: entry.count });
  }
  return { dropped, replacements, insertions };
}
