// The persona of src/demo/persona.ts, for the tests, and a mailbox filled with its history.
import type { ImapFlow } from 'imapflow';
import { type PersonaThread, personaThreads } from '../../src/demo/persona.js';
import { appendMessages } from './mail.js';

export { type PersonaThread, personaThreads };

/**
 * Puts `count` answered persona threads on the server (the messages in INBOX, Anna's replies in
 * Sent) for the user `address`; returns Anna's identity and the threads.
 */
export async function seedPersonaMailbox(
  client: ImapFlow,
  address: string,
  count: number,
  start?: number,
): Promise<{ me: string; threads: PersonaThread[] }> {
  const me = `Anna de Vries <${address}>`;
  const threads = personaThreads(me, count, start);
  await appendMessages(
    client,
    'INBOX',
    threads.map((t) => t.incomingRaw),
  );
  await appendMessages(
    client,
    'Sent',
    threads.map((t) => t.replyRaw),
  );
  return { me, threads };
}
