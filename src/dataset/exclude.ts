// Per-correspondent privacy: addresses (or globs) and domains whose mail never becomes a training
// example, from the config ([dataset] exclude_senders / exclude_domains) and from
// `understudy privacy exclude` (the store's excluded_correspondents table).
import picomatch from 'picomatch';
import type { Person } from '../model/prompt.js';
import type { Db } from '../store/db.js';
import { storedExclusions } from '../store/excluded-correspondents.js';

export interface ExcludedCorrespondents {
  /** Lower-case addresses or globs ("*@newsletter.example"). */
  senders: string[];
  /** Lower-case domains; a domain also covers its subdomains. */
  domains: string[];
}

/**
 * What the user typed, as a stored rule: `ann@example.com` or `*@example.com` is a sender,
 * `example.com` or `@example.com` a domain. Returns null for text that is neither.
 */
export function parseCorrespondent(text: string): { pattern: string; kind: 'sender' | 'domain' } | null {
  const t = text.trim().toLowerCase();
  if (!t || /\s/.test(t)) return null;
  if (t.startsWith('@'))
    return /^@[a-z0-9*][a-z0-9.*-]*\.[a-z0-9-]+$/.test(t) ? { pattern: t.slice(1), kind: 'domain' } : null;
  if (t.includes('@')) return /^[^@]+@[^@]+$/.test(t) ? { pattern: t, kind: 'sender' } : null;
  return /^[a-z0-9][a-z0-9.-]*\.[a-z0-9-]+$/.test(t) ? { pattern: t, kind: 'domain' } : null;
}

/** The config's rules and the stored ones together. */
export function excludedCorrespondents(db: Db, configured: ExcludedCorrespondents): ExcludedCorrespondents {
  const stored = storedExclusions(db);
  return {
    senders: [...new Set([...configured.senders, ...stored.filter((s) => s.kind === 'sender').map((s) => s.pattern)])],
    domains: [...new Set([...configured.domains, ...stored.filter((s) => s.kind === 'domain').map((s) => s.pattern)])],
  };
}

/** The first of `people` an exclusion rule covers (its address), or null. */
export function excludedPerson(people: readonly Person[], rules: ExcludedCorrespondents): string | null {
  if (!rules.senders.length && !rules.domains.length) return null;
  for (const p of people) {
    const address = p.address?.toLowerCase();
    if (!address) continue;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (rules.domains.some((d) => domain === d || domain.endsWith(`.${d}`))) return address;
    if (rules.senders.length && picomatch.isMatch(address, rules.senders, { nocase: true })) return address;
  }
  return null;
}
