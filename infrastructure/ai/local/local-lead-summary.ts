// Lead summaries, offline. The summary is extractive: each sentence of the activities is scored by how frequent its
// content words are across all of them (the classic frequency method), favouring later activities, and the best
// two are quoted in time order after a count of the activities. The next action follows cues in the latest activity
// (a proposal asked for, a demo, a call-back, no answer, an objection) and otherwise the lead's status. The sentiment
// is the AFINN lexicon reading of the latest activities, as feedback triage reads feedback.
import { summarizeActivityTask, type LeadSummary, type SummarizeActivityInput } from '../../../application/crm/lead-ai-tasks.js';
import type { ActivityKind, LeadStatus } from '../../../domain/crm/lead-events.js';
import { readSentiment } from './feedback-sentiment.js';
import { localTask } from './local-ai-provider.js';

const STOP_WORDS = new Set(
  'a about above after again all am an and any are as at be been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours also just get got let lets told said says'.split(' '),
);

const SUMMARY_SENTENCES = 2;
const MAX_SENTENCE_LENGTH = 300;

type Sentence = { text: string; order: number; score: number };

const wordsOf = (text: string): string[] => (text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? []).filter((word) => !STOP_WORDS.has(word) && word.length > 1);

function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => wordsOf(sentence).length > 0);
}

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function extractiveSummary({ lead, activities }: SummarizeActivityInput): string {
  const frequencies = new Map<string, number>();
  for (const activity of activities) for (const word of wordsOf(activity.text)) frequencies.set(word, (frequencies.get(word) ?? 0) + 1);
  const sentences: Sentence[] = [];
  activities.forEach((activity, index) => {
    for (const text of sentencesOf(activity.text)) {
      const words = wordsOf(text);
      const weight = words.reduce((sum, word) => sum + (frequencies.get(word) ?? 0), 0) / Math.sqrt(words.length);
      // Later activities count more: where the lead stands now matters most.
      const recency = 1 + index / activities.length;
      sentences.push({ text, order: sentences.length, score: weight * recency });
    }
  });
  const chosen = [...sentences]
    .sort((a, b) => b.score - a.score || b.order - a.order)
    .slice(0, SUMMARY_SENTENCES)
    .sort((a, b) => a.order - b.order);
  const kinds = new Map<ActivityKind, number>();
  for (const activity of activities) kinds.set(activity.kind, (kinds.get(activity.kind) ?? 0) + 1);
  const counted = [...kinds].map(([kind, count]) => plural(count, kind)).join(', ');
  const first = activities[0]!.occurredAt.slice(0, 10);
  const last = activities[activities.length - 1]!.occurredAt.slice(0, 10);
  const span = first === last ? `on ${first}` : `from ${first} to ${last}`;
  const who = lead.company === null ? lead.name : `${lead.name} (${lead.company})`;
  const opening = `${who}, ${lead.status}: ${counted} ${span}.`;
  const quoted = chosen.map((sentence) => {
    const text = clip(sentence.text, MAX_SENTENCE_LENGTH);
    return /[.!?…]$/u.test(text) ? text : `${text}.`;
  });
  return clip([opening, ...quoted].join(' '), 1000);
}

/** Cues in the latest activity, most specific first, each with the action it calls for. */
const CUES: readonly (readonly [RegExp, (name: string) => string])[] = [
  [/\b(not interested|no budget|too expensive|went with (a|another) competitor|chose (a|another) (vendor|supplier))\b/u, (name) => `Ask ${name} what would change their mind, or mark the lead lost`],
  [/\b(contract|sign(ed|ing)?|paperwork|purchase order|po)\b/u, (name) => `Send ${name} the contract for signature`],
  [/\b(proposal|quote|quotation|pricing|price list|estimate)\b/u, (name) => `Send ${name} the proposal with pricing`],
  [/\b(demo|demonstration|trial|walkthrough)\b/u, (name) => `Schedule the demo with ${name}`],
  [/\b(no answer|voicemail|voice mail|did not answer|didn't answer|unreachable|no reply|no response)\b/u, (name) => `Try ${name} again, by email if calls go unanswered`],
  [/\b(call (me |us )?back|callback|call again|ring back)\b/u, (name) => `Call ${name} back`],
  [/\b(meet|meeting|visit|lunch|coffee)\b/u, (name) => `Confirm the meeting with ${name} and send an agenda`],
  [/\b(send|share|forward) (me |us )?(more )?(info|information|details|deck|case stud(y|ies)|brochure)\b/u, (name) => `Send ${name} the information they asked for`],
];

const BY_STATUS: Readonly<Record<LeadStatus, (name: string) => string>> = {
  new: (name) => `Make first contact with ${name}`,
  contacted: (name) => `Qualify ${name}: confirm budget, decision maker, need and timeline`,
  qualified: (name) => `Send ${name} a proposal and agree a decision date`,
  won: (name) => `Hand ${name} over to onboarding and book the kick-off`,
  lost: (name) => `Note why ${name} was lost; reopen only if their situation changes`,
};

/** A date the latest activity names ("next Tuesday", "on Friday", "tomorrow", "2026-12-04"), as written. */
const WHEN = /\b(tomorrow|next week|next month|(?:next |this |on |by )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\d{4}-\d{2}-\d{2}|end of (?:the )?(?:week|month|quarter))\b/u;

export function nextActionOf({ lead, activities }: SummarizeActivityInput): string {
  const latest = activities[activities.length - 1]!.text.toLowerCase().normalize('NFKC').replace(/[\u2018\u2019]/gu, "'");
  // A closed lead's next step follows its status whatever was last said.
  const closed = lead.status === 'won' || lead.status === 'lost';
  const cue = closed ? undefined : CUES.find(([pattern]) => pattern.test(latest));
  const action = (cue?.[1] ?? BY_STATUS[lead.status])(lead.name);
  const when = closed ? null : WHEN.exec(latest);
  return clip(when === null ? `${action}.` : `${action} (they mentioned: ${when[1]}).`, 300);
}

/** The latest activities weigh most: the sentiment is read over the last three. */
export function leadSentimentOf({ activities }: SummarizeActivityInput): LeadSummary['sentiment'] {
  return readSentiment(activities.slice(-3).map((activity) => activity.text).join('\n')).sentiment;
}

export function summarizeLocally(input: SummarizeActivityInput): LeadSummary {
  return { summary: extractiveSummary(input), nextAction: nextActionOf(input), sentiment: leadSentimentOf(input) };
}

export const localLeadSummary = localTask(summarizeActivityTask, summarizeLocally);
