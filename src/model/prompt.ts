// The one rendering of an email exchange as a chat conversation. Training examples and
// generated drafts both come from here, so the model sees at inference exactly what it was
// trained on.
import { dropControls } from '../mail/text-controls.js';

export interface Person {
  name?: string;
  address?: string;
}

export interface IncomingMail {
  from: Person[];
  to: Person[];
  cc: Person[];
  /** ms since epoch, or null when unknown */
  date: number | null;
  subject: string | null;
  /** The sender's own words (quotes and signature already removed). */
  body: string;
}

export interface ThreadMessage {
  from: Person[];
  date: number | null;
  body: string;
}

export interface PromptInput {
  /** Who is replying: the user. */
  user: { name?: string; addresses: readonly string[] };
  /** "Today" for the model: the reply's date when training, the time of drafting when generating. */
  now: number;
  incoming: IncomingMail;
  /** Earlier messages of the thread, oldest first; at most MAX_CONTEXT are rendered. */
  context: readonly ThreadMessage[];
  /**
   * Cold start only (no trained model yet): a few of the user's own past replies to similar
   * mail, shown to the base model as examples of how the user writes. Training never sets it.
   */
  examples?: readonly string[];
}

export type Role = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: Role;
  content: string;
}

/** Longest incoming body rendered; the rest of a very long message adds little to a reply. */
export const MAX_INCOMING_CHARS = 6000;
/** Longest body of an earlier thread message. */
export const MAX_CONTEXT_CHARS = 1500;
/** Earlier thread messages rendered (the previous one or two). */
export const MAX_CONTEXT = 2;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The conversation for a (incoming mail → reply) pair; without `reply`, the prompt to complete. */
export function renderConversation(input: PromptInput, reply?: string): ChatMessage[] {
  // Subjects, names and bodies come from strangers' mail: no control character reaches training or a prompt.
  const messages: ChatMessage[] = [
    { role: 'system', content: dropControls(systemPrompt(input) + renderStyleExamples(input.examples)) },
    { role: 'user', content: dropControls(renderIncoming(input)) },
  ];
  if (reply !== undefined) messages.push({ role: 'assistant', content: dropControls(reply) });
  return messages;
}

export function systemPrompt(input: Pick<PromptInput, 'user' | 'now'>): string {
  const me = formatPerson({
    ...(input.user.name ? { name: input.user.name } : {}),
    ...(input.user.addresses[0] ? { address: input.user.addresses[0] } : {}),
  });
  return (
    `You are ${me || 'the owner of this mailbox'}, replying to an email you received. ` +
    `Today is ${formatDay(input.now)}. Write your reply the way you always write: your words, your tone, ` +
    'in the language of the message. Write only the body of the reply, without quoting the message.'
  );
}

/**
 * Cold start: the user's past replies, appended to the system turn so that the base model can
 * copy their greeting, sign-off and tone. Empty when there are none (always so in training).
 */
export function renderStyleExamples(examples: readonly string[] | undefined): string {
  if (!examples?.length) return '';
  const shown = examples.map((e) => clip(e.trim(), MAX_CONTEXT_CHARS)).filter(Boolean);
  if (!shown.length) return '';
  return `\n\nSome replies you wrote before (copy their style, not their content):\n\n${shown.map((e) => `---\n${e}`).join('\n\n')}\n---`;
}

/** The user turn: earlier thread messages (oldest first), then the message to answer. */
export function renderIncoming(input: PromptInput): string {
  const parts: string[] = [];
  const context = input.context.slice(-MAX_CONTEXT);
  if (context.length > 0) {
    parts.push('Earlier in this thread:');
    for (const m of context) {
      parts.push(
        `From: ${formatPeople(m.from)}${m.date !== null ? `\nDate: ${formatDate(m.date)}` : ''}\n\n${clip(m.body, MAX_CONTEXT_CHARS)}`,
      );
    }
    parts.push('The message to reply to:');
  }
  const m = input.incoming;
  const header = [`From: ${formatPeople(m.from)}`, `To: ${formatPeople(m.to)}`];
  if (m.cc.length) header.push(`Cc: ${formatPeople(m.cc)}`);
  if (m.date !== null) header.push(`Date: ${formatDate(m.date)}`);
  header.push(`Subject: ${m.subject ?? ''}`);
  parts.push(`${header.join('\n')}\n\n${clip(m.body, MAX_INCOMING_CHARS)}`);
  return parts.join('\n\n');
}

export function formatPerson(p: Person): string {
  if (p.name && p.address) return `${p.name} <${p.address}>`;
  return p.name ?? p.address ?? '';
}

function formatPeople(list: readonly Person[]): string {
  return list.map(formatPerson).filter(Boolean).join(', ');
}

/** "Tuesday 3 January 2023" (UTC): unambiguous in every language the model writes. */
function formatDay(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${formatDay(ms)}, ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} UTC`;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return `${text.slice(0, cut > max * 0.6 ? cut : max).trimEnd()}\n[…]`;
}
