// The DFN's local provider, applying what it learned (draft-corrections.ts) to a new draft: dropped words go,
// spoken commands become punctuation and line breaks, phrases are replaced, learned insertions are made.
import { COMMANDS, contextsAt, tokenize, type Token } from './draft-words.js';
import { MAX_REPLACED_WORDS, learnCorrections, type CorrectionOptions, type Corrections, type Insertion, type TrainingPair } from './draft-corrections.js';

/** Builds the note word by word: punctuation sticks to the word before it, a line break replaces the space. */
class NoteWriter {
  #text = '';
  #pendingBreak: string | null = null;
  #capitalize = false;
  #formatted = false;

  word(surface: string): void {
    if (this.#text !== '') this.#text += this.#pendingBreak ?? ' ';
    this.#text += this.#capitalize ? surface.charAt(0).toUpperCase() + surface.slice(1) : surface;
    this.#pendingBreak = null;
    this.#capitalize = false;
  }

  punctuation(mark: string): void {
    if (this.#text === '') return;
    this.#text = this.#text.replace(/[.,;:?!]$/u, '') + mark;
    this.#formatted = true;
    if (mark === '.' || mark === '?') this.#capitalize = true;
  }

  lineBreak(lineBreak: string): void {
    if (this.#text === '') return;
    if (this.#pendingBreak === null || lineBreak.length > this.#pendingBreak.length) this.#pendingBreak = lineBreak;
    this.#formatted = true;
    this.#capitalize = true;
  }

  /** Formatting the speaker dictated means they expect a note that reads as sentences: its first word too. */
  text(): string {
    return this.#formatted ? this.#text.charAt(0).toUpperCase() + this.#text.slice(1) : this.#text;
  }
}

export function applyCorrections(corrections: Corrections, draft: string): string {
  const writer = new NoteWriter();
  // Dropped words go; a dropped command leaves its mark, attached to the word kept before it.
  const kept: { token: Token; marks: ((writer: NoteWriter) => void)[] }[] = [];
  const leading: ((writer: NoteWriter) => void)[] = [];
  for (const token of tokenize(draft)) {
    if (!corrections.dropped.has(token.key)) {
      kept.push({ token, marks: [] });
      continue;
    }
    const command = COMMANDS.get(token.key);
    if (command === undefined) continue;
    const mark = 'punctuation' in command ? (w: NoteWriter) => w.punctuation(command.punctuation) : (w: NoteWriter) => w.lineBreak(command.lineBreak);
    (kept.at(-1)?.marks ?? leading).push(mark);
  }
  for (const mark of leading) mark(writer);
  const keys = kept.map(({ token }) => token.key);
  // Each learned insertion once, where its context is best supported (a heading heads one section); one per gap.
  const placed = new Map<string, { gap: number; insertion: Insertion }>();
  for (let gap = 0; gap <= keys.length; gap++) {
    for (const context of contextsAt(keys, gap)) {
      const insertion = corrections.insertions.get(context);
      const best = insertion === undefined ? undefined : placed.get(insertion.text);
      if (insertion !== undefined && (best === undefined || insertion.support > best.insertion.support)) placed.set(insertion.text, { gap, insertion });
    }
  }
  const byGap = new Map<number, Insertion>();
  for (const { gap, insertion } of placed.values()) if ((byGap.get(gap)?.support ?? 0) < insertion.support) byGap.set(gap, insertion);
  const insertAt = (gap: number): void => {
    const insertion = byGap.get(gap);
    if (insertion === undefined) return;
    if (insertion.lineStart) writer.lineBreak('\n');
    for (const word of insertion.text.split(' ')) writer.word(word);
  };
  let at = 0;
  while (at < kept.length) {
    insertAt(at);
    let consumed = 1;
    let replaced: readonly string[] | undefined;
    for (let length = Math.min(MAX_REPLACED_WORDS, kept.length - at); length >= 1; length--) {
      replaced = corrections.replacements.get(keys.slice(at, at + length).join(' '));
      if (replaced !== undefined) {
        consumed = length;
        break;
      }
    }
    const span = kept.slice(at, at + consumed);
    if (replaced === undefined) writer.word(span[0]!.token.surface);
    else for (const word of replaced) writer.word(word);
    for (const { marks } of span) for (const mark of marks) mark(writer);
    at += consumed;
  }
  insertAt(kept.length);
  return writer.text();
}

/** The DFN of `draft` from the retrieved pairs; the draft as it stands when nothing is left of it. */
export function correctDraft(draft: string, examples: readonly TrainingPair[], options?: CorrectionOptions): string {
  const note = applyCorrections(learnCorrections(examples, options), draft);
  return note.trim() === '' ? draft : note;
}

