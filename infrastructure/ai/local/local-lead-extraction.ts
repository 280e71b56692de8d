// Lead extraction, offline: an email address and a phone number by pattern, the company from a line that names one
// (a legal suffix, "at <Company>") or else the email's domain when it is not a free mail provider, and the name from
// a line of two to four capitalised words, or else from the email's local part (ada.lovelace → Ada Lovelace).
import { extractLeadTask, type ExtractedLead } from '../../../application/crm/lead-ai-tasks.js';
import { localTask } from './local-ai-provider.js';

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/u;
/** Digits with the usual separators, 7 to 15 digits in all (E.164 allows 15). */
const PHONE = /(?:\+|\b)[\d(][\d ().-]{5,22}\d/gu;
const COMPANY_SUFFIX = /\b(inc|incorporated|ltd|limited|llc|llp|gmbh|ag|sa|sas|sarl|bv|nv|plc|corp|corporation|co|company|group|oy|ab|as|srl|spa|pty)\.?$/iu;
const AT_COMPANY = /\b(?:at|@)\s+([\p{Lu}][\p{L}\p{N}&.' -]{1,80})$/u;
const FREE_MAIL = new Set(['gmail', 'googlemail', 'yahoo', 'hotmail', 'outlook', 'live', 'icloud', 'me', 'aol', 'proton', 'protonmail', 'gmx', 'mail', 'yandex', 'zoho', 'fastmail', 'web']);
const NAME_WORD = /^[\p{Lu}][\p{Ll}'’-]+$|^[\p{Lu}]\.$/u;
const TITLE_WORDS = new Set(['Dr', 'Dr.', 'Mr', 'Mr.', 'Mrs', 'Mrs.', 'Ms', 'Ms.', 'Prof', 'Prof.']);

const capitalise = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();

function phoneOf(text: string): string | null {
  for (const [candidate] of text.matchAll(PHONE)) {
    const digits = candidate.replace(/\D/g, '').length;
    if (digits >= 7 && digits <= 15) return candidate.trim();
  }
  return null;
}

function companyOf(lines: readonly string[], email: string | null): string | null {
  for (const line of lines) {
    const at = AT_COMPANY.exec(line);
    if (at !== null && !EMAIL.test(line)) return at[1]!.trim();
    // A piece of a line ("Grace Hopper, CTO at Navy Labs Inc, grace@…"): the company after "at", without the title before it.
    for (const piece of line.split(/[|,·•–—]/u).map((part) => part.trim())) {
      if (EMAIL.test(piece)) continue;
      const pieceAt = AT_COMPANY.exec(piece);
      if (pieceAt !== null) return pieceAt[1]!.trim();
      if (COMPANY_SUFFIX.test(piece)) return piece;
    }
  }
  if (email === null) return null;
  const labels = email.split('@')[1]!.split('.');
  const label = labels.length >= 2 ? labels[labels.length - 2]! : labels[0]!;
  return FREE_MAIL.has(label.toLowerCase()) ? null : capitalise(label);
}

function nameOf(lines: readonly string[], email: string | null, company: string | null): string | null {
  for (const line of lines) {
    const words = line.replace(/^(best|regards|thanks|cheers|sincerely)[,!.]*\s*/iu, '').split(/\s+/u).filter((word) => !TITLE_WORDS.has(word));
    const head = line.split(/[|,·•–—]/u)[0]!.trim().split(/\s+/u).filter((word) => !TITLE_WORDS.has(word));
    for (const candidate of [words, head]) {
      if (candidate.length < 2 || candidate.length > 4) continue;
      const joined = candidate.join(' ');
      if (candidate.every((word) => NAME_WORD.test(word)) && joined !== company && !COMPANY_SUFFIX.test(joined)) return joined;
    }
  }
  const local = email?.split('@')[0]?.split('+')[0];
  const parts = local?.split(/[._-]+/u).filter((part) => /^\p{L}{2,}$/u.test(part)) ?? [];
  return parts.length >= 2 && parts.length <= 4 ? parts.map(capitalise).join(' ') : null;
}

export function extractLeadLocally(text: string): ExtractedLead {
  const lines = text.split(/\r?\n/u).map((line) => line.trim()).filter((line) => line !== '');
  const email = EMAIL.exec(text)?.[0].toLowerCase() ?? null;
  const phone = phoneOf(text.replace(EMAIL, ' '));
  const company = companyOf(lines, email);
  return { name: nameOf(lines, email, company), email, phone, company };
}

export const localLeadExtraction = localTask(extractLeadTask, ({ text }) => extractLeadLocally(text));
