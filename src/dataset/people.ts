// Who is who across headers, quoted header blocks and attribution lines: "Lu, Zimin", "Zimin Lu" and
// zimin.lu@enron.com are one person.
import type { Person } from '../model/prompt.js';

/** Whom a message was sent to: its To and Cc. */
export interface Addressed {
  to: readonly Person[];
  cc: readonly Person[];
}

/** The reply's To or Cc names this person (by address, else by every token of their name). */
export function addressedTo(reply: Addressed, person: Person): boolean {
  const recipients = [...reply.to, ...reply.cc];
  const address = person.address?.toLowerCase();
  if (address && recipients.some((r) => r.address?.toLowerCase() === address)) return true;
  if (person.name) return recipients.some((r) => nameMatches(person.name as string, r));
  // An address alone: its local part may still name a recipient ("zimin.lu@…" ↔ "Zimin Lu").
  if (address) {
    const local = address.split('@')[0] ?? '';
    return recipients.some((r) => r.name !== undefined && nameMatches(r.name, { address: local }));
  }
  return false;
}

/**
 * "Edison, Andrew" matches "Andrew Edison" and andrew.edison@…: every name token (two letters or more, titles
 * left out) is in the person's name or address. Against an address alone, directory exports shorten first names
 * ("Tholt, Jane M." is m..tholt@enron.com): the address then matches when its local part names no one else — each
 * of its words is one of the name's — and shares one word of three letters or more with it.
 */
export function nameMatches(name: string, person: Person): boolean {
  const tokens = nameTokens(name);
  if (tokens.length === 0) return false;
  const haystack = `${person.name ?? ''} ${person.address ?? ''}`.toLowerCase();
  if (tokens.every((t) => haystack.includes(t))) return true;
  if (person.name || !person.address) return false;
  const local = nameTokens(person.address.split('@')[0] ?? '');
  return (
    local.length > 0 && local.every((t) => tokens.includes(t)) && local.some((t) => t.length >= 3 && tokens.includes(t))
  );
}

function nameTokens(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 1 && !TITLES.has(t));
}

const TITLES = new Set(['jr', 'sr', 'dr', 'mr', 'mrs', 'ms', 'prof', 'ii', 'iii']);

/** Lower-cased, whitespace collapsed, trimmed: how quoted and stored texts are compared (quoting rewraps lines). */
export function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The To/Cc field of a quoted header block as people. Outlook separates recipients with ";" and writes names as
 * "Lu, Zimin", so a comma splits only between addresses.
 */
export function peopleFromField(value: string | null): Person[] {
  if (!value?.trim()) return [];
  const parts = value.includes(';')
    ? value.split(';')
    : (value.match(/@/g) ?? []).length > 1
      ? value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
      : [value];
  const out: Person[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    const address = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/.exec(part)?.[0]?.toLowerCase();
    const name = part
      .replace(/<[^>]*>|\[mailto:[^\]]*\]/gi, ' ')
      .replace(/[\w.+'-]+@[\w-]+(?:\.[\w-]+)+/g, ' ')
      .replace(/\/[\w/]*@?\w*$/, '')
      .replace(/["'\s]+/g, ' ')
      .trim();
    if (name || address) out.push({ ...(name ? { name } : {}), ...(address ? { address } : {}) });
  }
  return out;
}
