// The text a model trained on the demo mailbox sees: each persona thread rendered exactly as the
// dataset renders it for training and drafting (src/model/prompt.ts), for cutting the demo's
// vocabulary down to what that text needs (src/demo/tokenizer.ts).
import { type ChatMessage, renderConversation } from '../model/prompt.js';
import type { PersonaThread } from './persona.js';

const DAYS = 'Sunday Monday Tuesday Wednesday Thursday Friday Saturday';
const MONTHS = 'January February March April May June July August September October November December';

/**
 * The conversations (incoming mail → the persona's reply) of `threads`, with `me` as the user,
 * and a few plain texts (every weekday and month name, the sample's quote and thanks words) that
 * other dates and the drafts' post-processing may put in a prompt.
 */
export function demoSample(
  me: { name: string; address: string },
  threads: readonly PersonaThread[],
): { texts: string[]; conversations: ChatMessage[][] } {
  const user = { name: me.name, addresses: [me.address] };
  const conversations = threads.map((t) =>
    renderConversation(
      {
        user,
        now: t.date + 3_600_000,
        incoming: {
          from: [t.from],
          to: [{ name: me.name, address: me.address }],
          cc: [],
          date: t.date,
          subject: t.subject,
          body: t.incoming.replace(/\r\n/g, '\n'),
        },
        context: [],
      },
      t.reply.replace(/\r\n/g, '\n'),
    ),
  );
  return { texts: [DAYS, MONTHS, `${DAYS.toLowerCase()} ${MONTHS.toLowerCase()}`], conversations };
}
