// Who the user is: their addresses (configured, plus the aliases their Sent mail comes from)
// and the name they sign with.

import type { Person } from '../model/prompt.js';
import { nameMatches } from './people.js';

export interface UserIdentity {
  addresses: Set<string>;
  /** The display name most often on the user's sent mail. */
  name?: string;
}

export interface SentFrom {
  inSent: boolean;
  from: Person[];
}

export function userIdentity(configured: readonly string[], messages: Iterable<SentFrom>): UserIdentity {
  const addresses = new Set(configured.map((a) => a.toLowerCase()));
  const names = new Map<string, number>();
  const aliasCounts = new Map<string, number>();
  for (const m of messages) {
    if (!m.inSent) continue;
    const sender = m.from[0];
    if (sender?.address) aliasCounts.set(sender.address, (aliasCounts.get(sender.address) ?? 0) + 1);
    if (sender?.name) names.set(sender.name, (names.get(sender.name) ?? 0) + 1);
  }
  // An address the Sent folder holds mail from is the user's, unless it is rare there: a message filed there by
  // hand, a draft saved for someone else, or an assistant sending from the user's account now and then (Enron's
  // allen-p Sent holds 8 messages of his assistant among 2,400 of his own).
  const total = [...aliasCounts.values()].reduce((a, b) => a + b, 0);
  const threshold = Math.max(2, 0.02 * total);
  for (const [address, n] of aliasCounts) if (n >= threshold || n / Math.max(total, 1) >= 0.05) addresses.add(address);
  const name = [...names.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return { addresses, ...(name ? { name } : {}) };
}

export function isFrom(from: readonly Person[], identity: UserIdentity): boolean {
  return from.some((p) => p.address !== undefined && identity.addresses.has(p.address.toLowerCase()));
}

/**
 * Whether a person is the user: one of their addresses, or — for a sender that a quoted Outlook or Notes block
 * names without an address ("Mann, Kay", "Phillip K Allen") — their display name, or a name that one of their
 * addresses spells (kay.mann@…).
 */
export function isUser(p: Person, identity: UserIdentity): boolean {
  if (p.address) return identity.addresses.has(p.address.toLowerCase());
  if (!p.name) return false;
  const flat = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  if (identity.name && flat(identity.name) === flat(p.name)) return true;
  return [...identity.addresses].some((address) =>
    nameMatches(p.name as string, { address: address.split('@')[0] ?? '' }),
  );
}
