// The conventions on which the sources of the quote corpus contradict each other, and the cases bench:quotes scores
// under either reading because of them (each case named, with the reading this product needs written out).
//
// Why a list and not a looser rule: a looser comparison for every case (e.g. "with or without the sign-off") would
// also forgive mistakes on cases where every source agrees. Here a case gets a second accepted answer only when its
// expected answer follows a convention that another case of the same corpus contradicts, and that case is named as
// evidence. bench/quotes.bench.ts checks every entry against the corpus before scoring (the evidence case really
// follows the other reading; the second answer uses only lines of the input, in order) and applies the same
// accepted answers to every tool it scores.
//
// The product's side of each convention comes from what the dataset learns: the author's own words, sign-off
// included ("Thanks,\nBob", "-Anna" are how the user signs); quotes, forwarded messages, signature blocks, device
// footers and layout lines go.

/** A question the sources answer differently. */
export interface Convention {
  /** What the sources disagree on. */
  question: string;
  /** This product's answer, and why. */
  ours: string;
  /**
   * Cases whose expected answer follows this product's reading: `text` occurs in the case's input, and its expected
   * answer keeps it (`kept: true`) or drops it (`kept: false`).
   */
  evidence: { id: string; text: string; kept: boolean }[];
}

export const CONVENTIONS = {
  'sign-off': {
    question: 'Is a trailing sign-off ("Thanks!\\nRoman", "-Abhishek Kona", a lone "Bob") part of the reply?',
    ours: 'yes: it is the author voice, and the dataset learns how the user signs',
    evidence: [
      { id: 'crisp/email_1', text: '-Abhishek Kona', kept: true },
      { id: 'crisp/email_3', text: '-Abhishek Kona', kept: true },
      { id: 'talon/html_quotations_test/test_gmail_reply', text: 'Alex', kept: true },
    ],
  },
  'signature-block': {
    question: 'Does a reply keep its signature block or device footer ("Sent from my iPhone", name/title/phone)?',
    ours: 'no: it is boilerplate the client or the company adds, not what the author wrote to this person',
    evidence: [
      { id: 'talon/signature/bruteforce_test/test_iphone_signature', text: 'Sent from my iPhone!', kept: false },
      { id: 'crisp/email_sent_from', text: 'Sent from TypeApp', kept: false },
      { id: 'crisp/email_with_regards', text: 'CEO @ Acme !', kept: false },
    ],
  },
  forwarded: {
    question: 'Does a forwarded message (its header block and text) belong to the reply?',
    ours: 'no: it was written by someone else (pairing drops forwards with their own reason)',
    evidence: [
      {
        id: 'talon/text_quotations_test/test_forwarded_message_in_quotations',
        text: '---------- Forwarded message ----------',
        kept: false,
      },
      { id: 'crisp/email_original_message_2', text: '----- Original Message -----', kept: false },
    ],
  },
  'outlook-rule': {
    question: 'Does the rule line Outlook draws above the quoted header block belong to the reply?',
    ours: 'no: it is layout, not words',
    evidence: [{ id: 'email_reply_parser/email_2_1', text: '------------------------------', kept: false }],
  },
} satisfies Record<string, Convention>;

export type ConventionName = keyof typeof CONVENTIONS;

/** A case whose expected answer follows the other reading of `conventions`; `ours` is the answer under this product's. */
export interface DisputedCase {
  id: string;
  conventions: ConventionName[];
  ours: string;
}

export const DISPUTED: DisputedCase[] = [
  // talon's signature tests and GitHub's/willdurand's first fragment drop the sign-off; crisp keeps it.
  { id: 'talon/html_quotations_test/test_reply_separated_by_hr', conventions: ['sign-off'], ours: 'Hi\nthere\nBob' },
  {
    id: 'talon/signature/bruteforce_test/test_signature_separated_by_dashes#2',
    conventions: ['sign-off'],
    ours: 'Hey!\n-roman',
  },
  {
    id: 'talon/signature/bruteforce_test/test_signature_separated_by_dashes#3',
    conventions: ['sign-off'],
    ours: 'Hey!\n\n- roman',
  },
  {
    id: 'talon/signature/bruteforce_test/test_signature_words',
    conventions: ['sign-off'],
    ours: 'Hey!\n\nThanks!\nRoman',
  },
  {
    id: 'talon/signature/bruteforce_test/test_blank_lines_inside_signature',
    conventions: ['sign-off'],
    ours: 'Blah.\n\n-Lev.',
  },
  {
    id: 'talon/signature/bruteforce_test/test_signature_cant_start_from_first_line',
    conventions: ['sign-off'],
    ours: 'Thanks,\n\nBlah\n\nregards\n\nJohn Doe',
  },
  {
    id: 'talon/signature/extraction_test/test_message_shorter_SIGNATURE_MAX_LINES',
    conventions: ['sign-off'],
    ours: 'Call me ASAP, please.This is about the last changes you deployed.\n\nThanks in advance,\nBob',
  },
  {
    // talon drops the three lines under the text as a signature; one of them is a sentence the author wrote.
    id: 'talon/signature/extraction_test/test_text_line_in_signature',
    conventions: ['sign-off'],
    ours:
      'Call me ASAP, please.This is about the last changes you deployed.\n\nThanks in advance,\n' +
      "some text which doesn't seem to be a signature at all\nBob",
  },
  {
    id: 'talon/signature/extraction_test/test_long_line_in_signature',
    conventions: ['sign-off'],
    ours:
      'Call me ASAP, please.This is about the last changes you deployed.\n\nThanks in advance,\n' +
      "some long text here which doesn't seem to be a signature at all\nBob",
  },
  {
    id: 'talon/signature_stripped/short_url',
    conventions: ['sign-off'],
    ours: "Simone,\n\nIt is 'example.com'. Please let me know what you see.\n\nThank you,\nNoam",
  },
  // The same input as crisp/email_1, whose expected answer keeps "-Abhishek Kona" (the mailing-list footer goes).
  {
    id: 'email_reply_parser/email_1_1',
    conventions: ['sign-off'],
    ours:
      'Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\nrunning a test?\n' +
      'I am currently using the Java HTTP API.\n\n-Abhishek Kona',
  },
  {
    id: 'willdurand/email_1',
    conventions: ['sign-off'],
    ours:
      'Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\nrunning a test?\n' +
      'I am currently using the Java HTTP API.\n\n-Abhishek Kona',
  },
  {
    // crisp drops "Regards,\n\nJohn Doe" with the title under it; the title goes here too, the sign-off stays.
    id: 'crisp/email_with_regards',
    conventions: ['sign-off'],
    ours: 'Hi,\n\nI still have the same problem....\n\nCan you help?\n\nRegards,\n\nJohn Doe',
  },
  // talon's quotation tests (and crisp's emoji case) keep whatever is above the quote, signature included.
  {
    // The appointment the author describes stays; the name/company/phone block under it goes.
    id: 'talon/text_quotations_test/test_appointment',
    conventions: ['signature-block'],
    ours:
      'Response\n\n10/19/2017 @ 9:30 am for physical therapy\nBla\n1517 4th Avenue Ste 300\n' +
      'London CA 19129, 555-421-6780',
  },
  { id: 'talon/standard_replies/iphone.eml', conventions: ['signature-block'], ours: 'Hello' },
  { id: 'talon/standard_replies/sparrow.eml', conventions: ['signature-block'], ours: 'Hello' },
  { id: 'crisp/email_emoji', conventions: ['signature-block'], ours: '🎉' },
  // talon keeps a forwarded message that is not inside a quote.
  {
    id: 'talon/text_quotations_test/test_dont_parse_quotations_for_forwarded_messages',
    conventions: ['forwarded'],
    ours: 'FYI',
  },
  // A forward with no note of its own: nothing of it was written by the sender.
  { id: 'talon/html_quotations_test/test_gmail_forwarded_msg', conventions: ['forwarded'], ours: '' },
  // mail-parser-reply keeps Outlook's rule line; GitHub's parser, on the same input, does not.
  { id: 'mail-parser-reply/email_2_1', conventions: ['outlook-rule'], ours: 'Outlook with a reply' },
  { id: 'mail-parser-reply/email_nl_1_2', conventions: ['outlook-rule'], ours: 'Outlook met een antwoord' },
];
