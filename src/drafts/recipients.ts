// Who a draft reply is addressed to: the message's Reply-To (all of it) or its From, never the
// user's own addresses, and with reply-all the other recipients in Cc.

export interface Person {
  name?: string | undefined;
  address?: string | undefined;
}

/** The address fields of the message being answered. */
export interface AddressedMessage {
  from: Person[];
  replyTo: Person[];
  to: Person[];
  cc: Person[];
}

export interface Recipients {
  /** Empty when the message leads only back to the user (a note to self): nothing to answer. */
  to: Person[];
  cc: Person[];
}

const key = (p: Person) => p.address?.trim().toLowerCase() ?? '';

/**
 * True when `address` (any case) is one of the user's `own` (lower-case) addresses, also in its
 * sub-addressed form: `anna+forms@example.test` is delivered to `anna@example.test` (RFC 5233).
 */
export function isOwnAddress(address: string | undefined, own: ReadonlySet<string>): boolean {
  const a = address?.trim().toLowerCase();
  if (!a) return false;
  if (own.has(a)) return true;
  const at = a.lastIndexOf('@');
  const plus = a.indexOf('+');
  return plus > 0 && plus < at && own.has(a.slice(0, plus) + a.slice(at));
}

/**
 * The recipients of a reply (RFC 5322 §3.6.3: "the 'Reply-To:' field … indicates the
 * address(es) to which the author of the message suggests that replies be sent"), with every
 * address of the user taken out (`own`, lower-case, and their +tag forms, see isOwnAddress):
 * - To: every Reply-To mailbox that is not the user's, else every From mailbox that is not the
 *   user's. So a contact form's mail (From = the user, Reply-To = the visitor) goes to the
 *   visitor, and a Reply-To that lists the user beside someone else goes to that someone.
 * - Cc (only with `replyAll`): the message's To and Cc, minus the user and minus To.
 * Mailboxes without an address are dropped, duplicates (by address, case-insensitive) kept once.
 */
export function replyRecipients(message: AddressedMessage, own: ReadonlySet<string>, replyAll: boolean): Recipients {
  const seen = new Set<string>();
  const pick = (people: Person[]): Person[] => {
    const out: Person[] = [];
    for (const p of people) {
      const k = key(p);
      if (!k || isOwnAddress(k, own) || seen.has(k)) continue;
      seen.add(k);
      out.push(p);
    }
    return out;
  };
  let to = pick(message.replyTo);
  if (to.length === 0) to = pick(message.from);
  const cc = replyAll && to.length ? pick([...message.to, ...message.cc]) : [];
  return { to, cc };
}
