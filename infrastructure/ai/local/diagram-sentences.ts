// Subject–verb–object relations in plain English sentences, for the local diagram generation: no tagger, a lexicon
// of the verbs that describe systems (with their inflections) and a few positional rules. "The relay reads the
// store and publishes to Kafka." → relay -reads-> store, relay -publishes to-> Kafka.

export type Relation = Readonly<{ from: string; to: string; label: string }>;

/** What a text says: its relations, and every noun phrase it names (for a text with no relation). */
export type ReadText = Readonly<{ relations: readonly Relation[]; phrases: readonly string[] }>;

const words = (list: string): ReadonlySet<string> => new Set(list.split(/\s+/u).filter((word) => word !== ''));

const DETERMINERS = words('the a an this that these those its their his her our your my some each every all any another both either such');
const DIRECTIONAL = words('to into onto toward towards');
const LOCATIVE = words('in on at from for against inside within');
const OTHER_PREPOSITIONS = words('via through using with over by across under after before about as per of');
const PREPOSITIONS = new Set([...DIRECTIONAL, ...LOCATIVE, ...OTHER_PREPOSITIONS]);
const PARTICLES = words('up out down off back away');
const CONNECTORS = words('and then also but so first next finally afterwards later meanwhile now when after once if or while');
/** Words that end a noun phrase: what follows them is another clause. */
const CLAUSE_WORDS = words('that which who whom whose where when while because since unless until if so but or');
const MODALS = words('can could will would should must may might shall does do did');
const BE = words('is are was were be been being gets get got');
const PRONOUN_SUBJECTS = words('it they he she this');
const PLURAL_PRONOUNS = words('i we they you');
const OBJECT_PRONOUNS = words('it them him her us me one everything something anything nothing');
const NEGATIONS = words('not never also always often then first just only still');
const AND_OR = words('and or');
const AND_THEN = words('and then');
const THEN_ALSO = words('then also');
const PART_OPENERS = words('and then also but');
const BY = words('by');

/** Base forms of verbs that describe how systems and people relate. */
const VERBS = words(`
  send write read publish consume produce emit call invoke query fetch store save load persist forward route push pull
  poll notify receive return request respond reply use serve render handle process validate check transform convert
  parse enqueue dequeue subscribe listen stream feed pass deliver upload download sync synchronize synchronise replicate
  cache log record track monitor report trigger schedule run execute start stop create update delete remove insert
  append tail watch scan index search aggregate collect gather ingest export import generate build deploy compile sign
  verify authenticate authorize authorise encrypt decrypt hash compress archive backup restore mirror proxy balance
  distribute dispatch broadcast relay post get put give tell ask talk connect depend rely own contain include manage
  control inform alert email message show display present pay charge buy sell order approve reject review submit
  assign observe reach contact access open close register wrap expose provide supply offer accept enrich triage
  summarize summarise categorize categorise classify extract draw link map join merge split filter sort batch retry
  acknowledge commit checkpoint snapshot rebuild project apply migrate go come flow move travel belong point lead
  follow precede make take keep hold see find pick hand queue share drive power host mount read invite answer fill
  redirect resolve translate encode decode chat browse visit place book ship pack deliver bill invoice refund
`);

const IRREGULAR: Readonly<Record<string, string>> = {
  sent: 'send', wrote: 'write', written: 'write', built: 'build', ran: 'run', gave: 'give', given: 'give', took: 'take',
  taken: 'take', made: 'make', kept: 'keep', held: 'hold', fed: 'feed', told: 'tell', sold: 'sell', brought: 'bring',
  found: 'find', got: 'get', gotten: 'get', paid: 'pay', shown: 'show', drew: 'draw', drawn: 'draw', led: 'lead',
  went: 'go', gone: 'go', came: 'come', saw: 'see', seen: 'see', shared: 'share', drove: 'drive', driven: 'drive',
};

/** The verb a word inflects (`publishes` → publish, `stored` → store), or null; `base` says it was not inflected. */
function verbOf(word: string): { base: string; inflected: boolean } | null {
  const lower = word.toLowerCase();
  if (IRREGULAR[lower] !== undefined) return { base: IRREGULAR[lower], inflected: true };
  if (VERBS.has(lower)) return { base: lower, inflected: false };
  const candidates: string[] = [];
  if (lower.endsWith('ies') || lower.endsWith('ied')) candidates.push(`${lower.slice(0, -3)}y`);
  if (lower.endsWith('es')) candidates.push(lower.slice(0, -2));
  if (lower.endsWith('s') && !lower.endsWith('ss')) candidates.push(lower.slice(0, -1));
  if (lower.endsWith('ed')) candidates.push(lower.slice(0, -2), lower.slice(0, -1), lower.slice(0, -3));
  const base = candidates.find((candidate) => candidate.length > 1 && VERBS.has(candidate));
  return base === undefined ? null : { base, inflected: true };
}

function ingVerb(word: string): boolean {
  const lower = word.toLowerCase();
  if (!lower.endsWith('ing') || lower.length < 5) return false;
  const stem = lower.slice(0, -3);
  return VERBS.has(stem) || VERBS.has(`${stem}e`) || VERBS.has(stem.slice(0, -1));
}

const isWord = (token: string | undefined, set: ReadonlySet<string>): boolean => token !== undefined && set.has(token.toLowerCase());

/** Words, commas kept as tokens of their own; punctuation around a word is dropped, inside it kept (`Node.js`). */
function tokensOf(text: string): string[] {
  return text
    .replace(/,/gu, ' , ')
    .split(/\s+/u)
    .map((token) => (token === ',' ? token : token.replace(/^[^\p{L}\p{N}\p{Extended_Pictographic}]+|[^\p{L}\p{N}\p{Extended_Pictographic}+#]+$/gu, '')))
    .filter((token) => token !== '');
}

function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?;:])\s+|\n+|[.!?;]+$/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

const MAX_PHRASE_WORDS = 6;

/** A noun phrase's words, determiners and leading connectors left out, cut at a clause word; null when none is left. */
function phraseOf(tokens: readonly string[]): string | null {
  const kept: string[] = [];
  for (const token of tokens) {
    if (isWord(token, CLAUSE_WORDS) && kept.length > 0) break;
    if (token === ',' || isWord(token, DETERMINERS) || (kept.length === 0 && (isWord(token, CONNECTORS) || isWord(token, CLAUSE_WORDS)))) continue;
    kept.push(token);
  }
  if (kept.length === 1 && isWord(kept[0], OBJECT_PRONOUNS)) return null;
  return kept.length === 0 ? null : kept.slice(0, MAX_PHRASE_WORDS).join(' ');
}

/** Noun phrases joined by "and", "or" and commas, each on its own. */
function phrasesOf(tokens: readonly string[]): string[] {
  const parts: string[][] = [[]];
  for (const token of tokens) {
    if (token === ',' || isWord(token, AND_OR)) parts.push([]);
    else parts[parts.length - 1]!.push(token);
  }
  return parts.map(phraseOf).filter((phrase): phrase is string => phrase !== null);
}

/** The noun phrases of a clause without a relation: its words between verbs, prepositions and conjunctions. */
function chunksOf(tokens: readonly string[]): string[] {
  const chunks: string[][] = [[]];
  for (const token of tokens) {
    const breaks = isWord(token, BE) || isWord(token, MODALS) || isWord(token, PREPOSITIONS) || isWord(token, AND_OR) || verbOf(token)?.inflected === true;
    if (breaks) chunks.push([]);
    else chunks[chunks.length - 1]!.push(token);
  }
  return chunks.map(phraseOf).filter((phrase): phrase is string => phrase !== null);
}

/** Where a clause's verb is, and whether it is passive (`is read by`); the subject is everything before it. */
type VerbAt = Readonly<{ subjectEnd: number; verb: number; passive: boolean }>;

function findVerb(tokens: readonly string[]): VerbAt | null {
  let subjectWords = 0;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    const hasSubject = subjectWords > 0;
    if (hasSubject && isWord(token, MODALS) && next !== undefined) {
      let verb = index + 1;
      while (isWord(tokens[verb], NEGATIONS)) verb++;
      if (verb < tokens.length) return { subjectEnd: index, verb, passive: false };
    }
    if (hasSubject && isWord(token, BE) && next !== undefined) {
      let verb = index + 1;
      while (isWord(tokens[verb], NEGATIONS)) verb++;
      const word = tokens[verb];
      if (word !== undefined && ingVerb(word)) return { subjectEnd: index, verb, passive: false };
      if (word !== undefined && verbOf(word) !== null) return { subjectEnd: index, verb, passive: true };
      // "The store is PostgreSQL" relates nothing; "The API gets events" is get, the verb.
      if (verbOf(token) === null) return null;
    }
    const verb = verbOf(token);
    if (hasSubject && !isWord(previous, DETERMINERS) && verb !== null) {
      const agrees =
        verb.inflected ||
        isWord(previous, PLURAL_PRONOUNS) ||
        (previous !== undefined && /s$/iu.test(previous) && !/ss$/iu.test(previous)) ||
        isWord(next, DETERMINERS);
      if (agrees) return { subjectEnd: index, verb: index, passive: false };
    }
    // An unknown verb in the third person: a word in -s after the subject, followed by an object or a preposition.
    if (hasSubject && !isWord(previous, DETERMINERS) && /[^s]s$/iu.test(token) && token.length > 3 && (isWord(next, DETERMINERS) || isWord(next, PREPOSITIONS))) {
      return { subjectEnd: index, verb: index, passive: false };
    }
    if (!isWord(token, DETERMINERS) && !isWord(token, CONNECTORS) && token !== ',') subjectWords++;
  }
  return null;
}

/** Whether a word opens a predicate of the subject before it ("… and publishes to Kafka"). */
function startsPredicate(tokens: readonly string[], at: number): boolean {
  const token = tokens[at];
  if (token === undefined) return false;
  if (verbOf(token) !== null || ingVerb(token)) return !isWord(tokens[at + 1], AND_OR);
  return /[^s]s$/iu.test(token) && token.length > 3 && (isWord(tokens[at + 1], DETERMINERS) || isWord(tokens[at + 1], PREPOSITIONS));
}

const MAX_LABEL_LENGTH = 60;
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);

type Predicate = Readonly<{ label: string; targets: readonly string[] }>;

/**
 * A verb and what follows it → the label and the targets of its arrows: the object of a directional preposition
 * first ("writes events to the store" → store, "writes events to"), then of another place preposition, then the
 * direct object ("reads the store" → store, "reads"), then any preposition's.
 */
function predicateOf(verb: string, rest: readonly string[]): Predicate | null {
  const head = [verb];
  let index = 0;
  while (isWord(rest[index], PARTICLES) || isWord(rest[index], NEGATIONS)) head.push(rest[index++]!);
  const object: string[] = [];
  while (index < rest.length && !isWord(rest[index], PREPOSITIONS)) object.push(rest[index++]!);
  const segments: { prepositions: string[]; tokens: string[] }[] = [];
  while (index < rest.length) {
    const prepositions: string[] = [];
    while (isWord(rest[index], PREPOSITIONS)) prepositions.push(rest[index++]!);
    const tokens: string[] = [];
    while (index < rest.length && !isWord(rest[index], PREPOSITIONS)) tokens.push(rest[index++]!);
    segments.push({ prepositions, tokens });
  }
  const objectPhrase = phraseOf(object);
  const objectWords = objectPhrase === null ? [] : [objectPhrase];
  const withTargets = segments.filter((segment) => phrasesOf(segment.tokens).length > 0);
  const choose = (set: ReadonlySet<string>) => withTargets.find((segment) => isWord(segment.prepositions[segment.prepositions.length - 1], set));
  const prepositional = choose(DIRECTIONAL) ?? choose(LOCATIVE);
  if (prepositional !== undefined) {
    return { label: clip([...head, ...objectWords, ...prepositional.prepositions].join(' '), MAX_LABEL_LENGTH), targets: phrasesOf(prepositional.tokens) };
  }
  const objects = phrasesOf(object);
  if (objects.length > 0) return { label: clip(head.join(' '), MAX_LABEL_LENGTH), targets: objects };
  const other = withTargets[0];
  if (other !== undefined) return { label: clip([...head, ...other.prepositions].join(' '), MAX_LABEL_LENGTH), targets: phrasesOf(other.tokens) };
  return null;
}

/** Splits a predicate list at "and"/"then" where a new verb starts: "reads the store and publishes to Kafka". */
function predicatesOf(tokens: readonly string[]): string[][] {
  const parts: string[][] = [[]];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (isWord(token, AND_THEN)) {
      let next = index + 1;
      while (isWord(tokens[next], THEN_ALSO)) next++;
      if (startsPredicate(tokens, next)) {
        parts.push([]);
        index = next - 1;
        continue;
      }
    }
    parts[parts.length - 1]!.push(token);
  }
  return parts.filter((part) => part.length > 0);
}

const RELATIVES = words('which who that');
const CLAUSE_JOINS = words('and but while whereas');

/** Splits a part where another clause with its own subject and verb starts: "… into the queue and the workers process them". */
function clausesOf(part: readonly string[]): string[][] {
  for (let index = 1; index < part.length - 1; index++) {
    if (!isWord(part[index], CLAUSE_JOINS)) continue;
    const rest = part.slice(index + 1);
    const at = findVerb(rest);
    if (at !== null && at.subjectEnd > 0 && !isWord(rest[0], PREPOSITIONS)) return [part.slice(0, index), ...clausesOf(rest)];
  }
  return [[...part]];
}

const ARROW = /\s*(?:-+>|=+>|→|⟶)\s*/u;

/**
 * "Mobile app -> API gateway -> auth service": names joined by arrows, as a chain of unlabelled relations. Null when
 * the sentence has no arrow, or a part of it is more than a name (it holds a verb, or nothing).
 */
function arrowChainOf(sentence: string): string[] | null {
  const segments = sentence.split(ARROW);
  if (segments.length < 2) return null;
  const names = segments.map((segment) => {
    const tokens = tokensOf(segment).filter((token) => token !== ',');
    return tokens.length <= MAX_PHRASE_WORDS && findVerb(tokens) === null ? phraseOf(tokens) : null;
  });
  return names.every((name) => name !== null) ? (names as string[]) : null;
}

const MAX_RELATIONS = 200;

export function readRelations(text: string): ReadText {
  const relations: Relation[] = [];
  const phrases: string[] = [];
  let subjects: string[] = [];
  let previous: Relation[] = [];

  const relate = (from: readonly string[], predicate: Predicate | null) => {
    previous = [];
    if (predicate === null) return;
    for (const source of from) {
      for (const target of predicate.targets) {
        if (relations.length >= MAX_RELATIONS) return;
        const relation = { from: source, to: target, label: predicate.label };
        relations.push(relation);
        previous.push(relation);
      }
    }
  };

  for (const sentence of sentencesOf(text)) {
    previous = [];
    const chain = arrowChainOf(sentence);
    if (chain !== null) {
      for (let index = 1; index < chain.length; index++) relate([chain[index - 1]!], { label: '', targets: [chain[index]!] });
      continue;
    }
    const parts: string[][] = [[]];
    for (const token of tokensOf(sentence)) {
      if (token === ',') parts.push([]);
      else parts[parts.length - 1]!.push(token);
    }
    for (const [index, raw] of parts.flatMap(clausesOf).entries()) {
      let part = raw;
      while (part.length > 0 && isWord(part[0], PART_OPENERS)) part = part.slice(1);
      if (part.length === 0) continue;
      // "…, which stores orders in PostgreSQL": the relative pronoun stands for the last thing named.
      const last = previous[previous.length - 1];
      if (isWord(part[0], RELATIVES) && last !== undefined && startsPredicate(part, 1)) {
        subjects = [last.to];
        for (const predicate of predicatesOf(part.slice(1))) relate(subjects, predicateOf(predicate[0]!, predicate.slice(1)));
        continue;
      }
      // A part opening with a verb goes on with the subject before it: "validates requests, writes events ...". A
      // sentence's first part has a subject of its own, even when it could be read as a verb ("Snapshots are ...").
      if (index > 0 && subjects.length > 0 && startsPredicate(part, 0)) {
        for (const predicate of predicatesOf(part)) relate(subjects, predicateOf(predicate[0]!, predicate.slice(1)));
        continue;
      }
      const at = findVerb(part);
      if (at === null) {
        const listed = phrasesOf(part);
        phrases.push(...chunksOf(part));
        // A list that goes on after a comma: "writes to the store, the cache and the log".
        const last = previous[previous.length - 1];
        if (last !== undefined) for (const target of listed) relate([last.from], { label: last.label, targets: [target] });
        continue;
      }
      const subjectTokens = part.slice(0, at.subjectEnd).filter((token) => !isWord(token, CONNECTORS) && !isWord(token, CLAUSE_WORDS));
      const pronoun = subjectTokens.length === 1 && isWord(subjectTokens[0], PRONOUN_SUBJECTS);
      const named = pronoun ? [] : phrasesOf(subjectTokens);
      const subject = pronoun ? subjects : named;
      if (!pronoun) phrases.push(...named);
      if (subject.length === 0) continue;
      subjects = subject;
      const [first, ...others] = predicatesOf(part.slice(at.verb));
      if (at.passive) {
        // "The store is read by the relay": the agent is the source, the subject the target.
        const rest = first!.slice(1);
        const by = rest.findIndex((token) => isWord(token, BY));
        if (by !== -1) {
          const agents = phrasesOf(rest.slice(by + 1));
          relate(agents, agents.length === 0 ? null : { label: clip(first![0]!, MAX_LABEL_LENGTH), targets: subject });
        } else {
          relate(subject, predicateOf(first![0]!, rest));
        }
      } else {
        relate(subject, predicateOf(first![0]!, first!.slice(1)));
      }
      for (const predicate of others) relate(subject, predicateOf(predicate[0]!, predicate.slice(1)));
    }
  }
  return { relations, phrases };
}
