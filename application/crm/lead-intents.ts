// The CRM's intents for the AI orchestrator: `extract-lead` (free text → lead fields; with apply, the lead is created
// through the CRM's own command handler) and `summarize-activity` (a lead and its activities → summary, next action,
// sentiment). Declared in the CRM module; the orchestrator knows only their names.
import { isEmailShaped, normalizeEmail } from '../../domain/identity/email.js';
import { isPhoneShaped, LEAD_COMPANY_MAX_LENGTH, LEAD_NAME_MAX_LENGTH, type LeadDetails } from '../../domain/crm/lead-events.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { AiIntent, ApplyContext } from '../ai/intents.js';
import { createLead } from './lead-commands.js';
import {
  ExtractLeadInputSchema,
  extractLeadTask,
  SummarizeActivityInputSchema,
  summarizeActivityTask,
  type ExtractedLead,
  type ExtractLeadInput,
  type LeadSummary,
  type SummarizeActivityInput,
} from './lead-ai-tasks.js';

/** What a lead created from extracted text records as its source. */
export const EXTRACTED_LEAD_SOURCE = 'ai:extract-lead';

export type AppliedLead = Readonly<{
  leadId: string;
  revision: number;
  position: string | null;
  /** Extracted fields left out of the lead because they break its rules (an email that is not one). */
  ignored: readonly Readonly<{ field: string; reason: string }>[];
}>;

/** The extracted fields a lead can take, and those it cannot, with why. */
export function leadDetailsOf(extracted: ExtractedLead): { details: LeadDetails; ignored: { field: string; reason: string }[] } {
  const ignored: { field: string; reason: string }[] = [];
  const name = extracted.name?.trim() ?? '';
  if (name === '') {
    throw new ValidationError('CRM.EXTRACTED_NO_NAME', 'The text names nobody the provider could find: a lead needs a name', [
      { path: 'body.input.text', message: 'Names no person' },
    ]);
  }
  const keep = (field: string, value: string | null, ok: (value: string) => boolean, reason: string): string | null => {
    if (value === null || value.trim() === '') return null;
    if (ok(value)) return value;
    ignored.push({ field, reason });
    return null;
  };
  const email = keep('email', extracted.email === null ? null : normalizeEmail(extracted.email), isEmailShaped, 'not an email address');
  const phone = keep('phone', extracted.phone?.trim() ?? null, isPhoneShaped, 'not a phone number of 6 to 15 digits');
  const company = keep('company', extracted.company?.trim() ?? null, (value) => value.length <= LEAD_COMPANY_MAX_LENGTH, 'too long');
  return { details: { name: name.slice(0, LEAD_NAME_MAX_LENGTH), email, phone, company, source: EXTRACTED_LEAD_SOURCE, valueCents: null }, ignored };
}

export const extractLeadIntent: AiIntent<ExtractLeadInput, ExtractedLead> = {
  name: 'extract-lead',
  summary: 'Free text (an email signature, a note) → lead fields; with apply: true, also creates the lead',
  input: ExtractLeadInputSchema,
  task: extractLeadTask,
  async apply(extracted: ExtractedLead, _input: ExtractLeadInput, { commands, context }: ApplyContext): Promise<AppliedLead> {
    const { details, ignored } = leadDetailsOf(extracted);
    const created = await createLead(commands, details, context);
    return { leadId: created.id, revision: created.revision, position: created.position, ignored };
  },
};

export const summarizeActivityIntent: AiIntent<SummarizeActivityInput, LeadSummary> = {
  name: 'summarize-activity',
  summary: 'A lead and its latest activities → summary, next action and sentiment',
  input: SummarizeActivityInputSchema,
  task: summarizeActivityTask,
};

export const crmIntents = [extractLeadIntent, summarizeActivityIntent] as const;
