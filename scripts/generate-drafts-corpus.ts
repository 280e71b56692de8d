// Writes tests/fixtures/drafts-corpus.json: a small synthetic corpus of (raw draft, final note) pairs for the DFN
// tests and benchmark. Everything is made up from the templates below by a fixed-seed PRNG (no real patient data):
// each final note is written first, then "dictated" by its speaker, with their habits (spoken "period" and "new
// paragraph", fillers), the recogniser's misrecognitions of their specialty's terms, and some random noise no
// corrector can learn. Run: npm run corpus:drafts [-- --out <file>] ; the same seed always writes the same file.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const CORPUS_SEED = 20261203;

/** mulberry32: small, fast, and the same sequence on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Specialty = Readonly<{
  name: string;
  complaints: readonly string[];
  findings: readonly string[];
  conditions: readonly string[];
  drugs: readonly string[];
  /** What the recogniser hears instead of a term: correct word(s) to misrecognised word(s). */
  misheard: Readonly<Record<string, string>>;
}>;

const SPECIALTIES: readonly Specialty[] = [
  {
    name: 'cardiology',
    complaints: ['chest pain on exertion', 'palpitations at night', 'shortness of breath when climbing stairs', 'ankle swelling', 'dizziness when standing'],
    findings: ['a regular rhythm', 'a soft systolic murmur', 'mild tachycardia', 'no peripheral edema', 'elevated blood pressure'],
    conditions: ['hypertension', 'atrial fibrillation', 'stable angina', 'heart failure with preserved ejection fraction', 'tachycardia'],
    drugs: ['metoprolol', 'lisinopril', 'atorvastatin', 'apixaban', 'furosemide'],
    misheard: { hypertension: 'hyper tension', metoprolol: 'meta prolol', tachycardia: 'tacky cardia', apixaban: 'apex a ban', furosemide: 'fura semi', atrial: 'a trial' },
  },
  {
    name: 'pulmonology',
    complaints: ['a chronic cough', 'wheezing at night', 'shortness of breath on exertion', 'chest tightness in cold air', 'daytime sleepiness'],
    findings: ['scattered wheezes', 'clear lung fields', 'reduced air entry at the bases', 'normal oxygen saturation', 'prolonged expiration'],
    conditions: ['asthma', 'bronchitis', 'chronic obstructive pulmonary disease', 'obstructive sleep apnea', 'dyspnea'],
    drugs: ['albuterol', 'budesonide', 'tiotropium', 'montelukast', 'prednisone'],
    misheard: { albuterol: 'al beauty rol', bronchitis: 'bronco itis', dyspnea: 'disp nia', tiotropium: 'tio trophy um', montelukast: 'monty lou cast', apnea: 'app nia' },
  },
  {
    name: 'dermatology',
    complaints: ['an itchy rash on both forearms', 'a changing mole on the back', 'dry scaly patches on the elbows', 'facial redness', 'hair thinning'],
    findings: ['erythematous plaques', 'a symmetric pigmented lesion', 'silvery scale on the elbows', 'no lymphadenopathy', 'papules on the cheeks'],
    conditions: ['eczema', 'psoriasis', 'rosacea', 'seborrheic dermatitis', 'contact dermatitis'],
    drugs: ['hydrocortisone', 'tacrolimus', 'clobetasol', 'doxycycline', 'calcipotriene'],
    misheard: { eczema: 'ex ema', psoriasis: 'sore eye asis', rosacea: 'rose asia', tacrolimus: 'taco limus', clobetasol: 'clo beta sol', dermatitis: 'derma titus' },
  },
];

type Speaker = Readonly<{
  speakerId: string;
  name: string;
  specialty: string;
  /** Chance of saying "period" at a sentence end, "comma" at a comma, "new paragraph" between sections. */
  saysPeriod: number;
  saysComma: number;
  saysNewParagraph: number;
  /** Chance of a filler before each word, and which fillers. */
  fillerRate: number;
  fillers: readonly string[];
  /** Dictates the section headings (else the editors add them). */
  saysHeadings: boolean;
}>;

const FIRST_NAMES = ['Avery', 'Blake', 'Casey', 'Devon', 'Emery', 'Finley', 'Harper', 'Jordan', 'Kendall'];

const uuidFrom = (next: () => number): string => {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ['8', '9', 'a', 'b'][Math.floor(next() * 4)]!;
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
};

type Sentence = Readonly<{ text: string }>;
type Section = Readonly<{ heading: string; sentences: readonly Sentence[] }>;

const NOISE_WORDS = ['and', 'the', 'in', 'a', 'with', 'of', 'on', 'is', 'to', 'as'];

export type CorpusNote = Readonly<{ draftId: string; speakerId: string; draft: string; finalNote: string }>;
export type DraftsCorpus = Readonly<{
  seed: number;
  about: string;
  speakers: readonly Readonly<{ speakerId: string; name: string; specialty: string }>[];
  training: readonly CorpusNote[];
  heldOut: readonly CorpusNote[];
}>;

export function generateCorpus(seed = CORPUS_SEED, notesPerSpeaker = { training: 14, heldOut: 4 }): DraftsCorpus {
  const next = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number): boolean => next() < p;

  const speakers: Speaker[] = [];
  SPECIALTIES.forEach((specialty, s) => {
    for (let n = 0; n < 2; n++) {
      const formal = n === 0; // one speaker per specialty dictates punctuation and layout, the other does not
      speakers.push({
        speakerId: uuidFrom(next),
        name: `Dr ${FIRST_NAMES[s * 3 + n]} Example`,
        specialty: specialty.name,
        saysPeriod: formal ? 0.95 : 0,
        saysComma: formal ? 0.8 : 0,
        saysNewParagraph: formal ? 0.9 : 0,
        fillerRate: formal ? 0.03 : 0.07,
        fillers: formal ? ['um'] : ['uh', 'um', 'er'],
        saysHeadings: false,
      });
    }
  });

  const noteFor = (speaker: Speaker): Section[] => {
    const specialty = SPECIALTIES.find((candidate) => candidate.name === speaker.specialty)!;
    const age = 30 + Math.floor(next() * 50);
    const condition = pick(specialty.conditions);
    const drug = pick(specialty.drugs);
    const weeks = 2 + Math.floor(next() * 6);
    return [
      {
        heading: 'HISTORY:',
        sentences: [
          { text: `The patient is a ${age} year old ${pick(['man', 'woman'])} who presents with ${pick(specialty.complaints)}` },
          { text: `Symptoms started ${pick(['two', 'three', 'four', 'six'])} weeks ago, and ${pick(['have slowly worsened', 'come and go', 'are worse in the morning'])}` },
          { text: `There is a history of ${pick(specialty.conditions)}` },
        ],
      },
      {
        heading: 'EXAMINATION:',
        sentences: [{ text: `On examination there is ${pick(specialty.findings)}, and ${pick(specialty.findings)}` }],
      },
      {
        heading: 'ASSESSMENT:',
        sentences: [{ text: `Findings are consistent with ${condition}` }],
      },
      {
        heading: 'PLAN:',
        sentences: [{ text: `Start ${drug} and review in ${weeks} weeks` }, { text: `The patient was advised to return sooner if ${pick(['symptoms worsen', 'new symptoms appear', 'there is any concern'])}` }],
      },
    ];
  };

  const finalNoteOf = (sections: readonly Section[]): string =>
    sections.map(({ heading, sentences }) => `${heading} ${sentences.map(({ text }) => `${text}.`).join(' ')}`).join('\n\n');

  /** What the recogniser makes of the speaker's dictation of the note. */
  const dictate = (speaker: Speaker, sections: readonly Section[]): string => {
    const specialty = SPECIALTIES.find((candidate) => candidate.name === speaker.specialty)!;
    const spoken: string[] = [];
    sections.forEach(({ heading, sentences }, s) => {
      if (s > 0 && chance(speaker.saysNewParagraph)) spoken.push('new paragraph');
      if (speaker.saysHeadings) spoken.push(heading.replace(':', '').toLowerCase());
      for (const { text } of sentences) {
        for (const raw of text.split(' ')) {
          if (chance(speaker.fillerRate)) spoken.push(pick(speaker.fillers));
          const comma = raw.endsWith(',');
          const word = raw.replace(',', '').toLowerCase();
          const misheard = specialty.misheard[word];
          if (misheard !== undefined && chance(0.8)) spoken.push(misheard);
          else if (chance(0.02)) spoken.push(pick(NOISE_WORDS)); // the recogniser's random slips: nothing to learn
          else if (!chance(0.01)) spoken.push(word);
          if (comma && chance(speaker.saysComma)) spoken.push('comma');
        }
        if (chance(speaker.saysPeriod)) spoken.push('period');
      }
    });
    return spoken.join(' ');
  };

  const training: CorpusNote[] = [];
  const heldOut: CorpusNote[] = [];
  for (const speaker of speakers) {
    for (let n = 0; n < notesPerSpeaker.training + notesPerSpeaker.heldOut; n++) {
      const sections = noteFor(speaker);
      const note = { draftId: uuidFrom(next), speakerId: speaker.speakerId, draft: dictate(speaker, sections), finalNote: finalNoteOf(sections) };
      (n < notesPerSpeaker.training ? training : heldOut).push(note);
    }
  }
  return {
    seed,
    about: 'Synthetic dictations made by scripts/generate-drafts-corpus.ts from templates; no real patient data.',
    speakers: speakers.map(({ speakerId, name, specialty }) => ({ speakerId, name, specialty })),
    training,
    heldOut,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'tests/fixtures/drafts-corpus.json' }, seed: { type: 'string' } } });
  const corpus = generateCorpus(values.seed === undefined ? CORPUS_SEED : Number(values.seed));
  writeFileSync(values.out, `${JSON.stringify(corpus, null, 1)}\n`);
  console.log(`${values.out}: ${corpus.training.length} training and ${corpus.heldOut.length} held-out notes of ${corpus.speakers.length} speakers`);
}
