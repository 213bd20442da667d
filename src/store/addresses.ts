// The address columns (messages.from_addr, to_addrs, cc_addrs, reply_to): JSON arrays of
// {name, address} written and read here only, so every reader gets the same list for the same
// stored value, including for a value an older version or a damaged file left behind.
/** One mailbox of an address header (RFC 5322 §3.4): display name and/or addr-spec, as mailparser gives them. */
export interface Address {
  name?: string;
  address?: string;
}

/** The stored form of an address list: a JSON array, NULL for an empty list. */
export function addressesToColumn(list: readonly Address[]): string | null {
  return list.length ? JSON.stringify(list) : null;
}

/**
 * The address list a column holds. NULL, text that is not JSON, and JSON that is not an array
 * read as no one (never an exception: one damaged row must not stop a sync, a build or a draft
 * run); entries that are not objects are left out.
 */
export function addressesFromColumn(json: string | null): Address[] {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((a): a is Address => typeof a === 'object' && a !== null);
}
