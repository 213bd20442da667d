// The shape of one language's mail phrases (pure data): what the technique files in src/mail build their patterns from.
//
// Every field is optional: a language lists only what its mail clients write. Strings are matched case-insensitively
// unless a field says otherwise. Fields named `…Patterns` hold regular-expression sources (a phrase with optional
// letters, "r[ée]ponse automatique"); every other string is literal text, escaped by the builder.

/** The field a localised header label of a quoted or forwarded message names (Outlook's "From:/Sent:/To:/Subject:"). */
export type HeaderField = 'from' | 'date' | 'to' | 'cc' | 'subject' | 'other';

/** One language's phrases. Register a new one in src/mail/locales/index.ts. */
export interface MailLocale {
  /** BCP 47 primary language tag: 'en', 'de', 'pt', … */
  code: string;
  /** The language's English name, for messages and docs. */
  name: string;

  /** Attribution lines: "On Tue, 3 Jan 2023 at 10:12, Ann <a@b> wrote:" and translations. */
  attribution?: {
    /** Verbs (or verb phrases) that end an attribution: 'wrote', 'schrieb', 'a écrit'. Also found mid-line. */
    verbs?: readonly string[];
    /** Verbs that are ordinary prose too ("… I sent:"): they count only with an e-mail address on the line. */
    weakVerbs?: readonly string[];
    /** Words an attribution starts with: 'on', 'am', 'le', 'w dniu'. */
    startWords?: readonly string[];
    /**
     * Start words as they open an attribution glued to reply text on the same line ("thanks! On Wed, …"), matched
     * case-sensitively (capitalised, so prose's "on" is never split): 'On', 'Am'.
     */
    midLineStartWords?: readonly string[];
    /** Start words removed before the date when an attribution is read for its sender and date. */
    parsedStartWords?: readonly string[];
    /** Closing verbs removed when an attribution is read for its sender (regex sources): 'a [ée]crit'. */
    parsedVerbPatterns?: readonly string[];
    /** Words between the date and the sender's name, removed when reading it (regex sources): 'schrieb', 'von'. */
    nameConnectivePatterns?: readonly string[];
    /** Words after the sender's name, removed when reading it (regex sources): "… heeft Ann het volgende". */
    nameSuffixPatterns?: readonly string[];
  };

  /** Month abbreviations that mark a date inside an attribution ("3 janv.", "Jan 3"); three or four letters. */
  monthAbbreviations?: readonly string[];
  /** Words for before and after noon next to a clock time ("오후 12:39", "下午 3:05"), when no a.m./p.m. is written. */
  dayPeriods?: { am?: readonly string[]; pm?: readonly string[] };
  /** Month prefixes for reading a written date → month 1–12 ('janv' → 1, 'mär' → 3). */
  monthPrefixes?: readonly (readonly [string, number])[];

  /** Header labels of a quoted or forwarded message, by the field they name ("Von:", "Envoyé :", "件名:"). */
  headerLabels?: Partial<Record<HeaderField, readonly string[]>>;

  /** Separator phrases, matched as the whole phrase inside a line of dashes or on their own. */
  separators?: {
    /** "-----Original Message-----" (Outlook). */
    originalMessage?: readonly string[];
    /** "---------- Forwarded message ---------" (Gmail, Thunderbird). */
    forwardedMessage?: readonly string[];
    /** "Begin forwarded message:" (Apple Mail). */
    beginForwarded?: readonly string[];
  };

  /**
   * Device and app footers ("Sent from my iPhone", "Von meinem iPhone gesendet"): whole-line patterns whose first
   * group is the device or app; tried in the order of the locale index.
   */
  deviceFooters?: readonly RegExp[];

  /** Valedictions a sign-off line opens with: 'best regards', 'viele grüße', 'cordialement'. */
  signOffs?: readonly string[];

  /** Words of a signature block's contact and address lines (all matched case-insensitively). */
  signature?: {
    /** Labels of contact details: 'tel', 'mobile', 'telefoon', 'handy'. */
    contactLabels?: readonly string[];
    /** Company forms that end a company's name (regex sources): 'gmbh', 'b\\.?v\\.?', 'ltd'. */
    companyFormPatterns?: readonly string[];
    /** Job titles a contact line may open with (regex sources): 'ceo', 'head of'. */
    titleStartPatterns?: readonly string[];
    /** Job titles anywhere on a short line (regex sources): 'managing director', 'geschäftsführer(?:in)?'. */
    titlePatterns?: readonly string[];
    /** Street types after the house number and name ("1400 Smith Street"): 'street', 'st', 'avenue'. */
    streetTypes?: readonly string[];
    /** Street words glued to the name, house number after ("Keizersgracht 12") (regex sources): 'gracht', 'str\\.'. */
    streetSuffixPatterns?: readonly string[];
    /** Street types before the name ("12 rue de la Paix"): 'rue', 'via', 'calle'. */
    streetPrefixes?: readonly string[];
    /** Rooms, floors and post-office boxes, before their number (regex sources): 'suite', 'postbus'. */
    boxPatterns?: readonly string[];
  };

  /** Openings of legal disclaimers and confidentiality notices (regex sources, matched anywhere in a paragraph). */
  disclaimerPatterns?: readonly string[];

  /** Subject prefixes. */
  subject?: {
    /** Reply prefixes ("Re", "AW", "回复"), without the colon. */
    reply?: readonly string[];
    /** Forward prefixes without the colon (regex sources: "Fwd" and "Fw" are one pattern, 'fwd?'). */
    forwardPatterns?: readonly string[];
    /**
     * The reply prefixes the bare-forward rule skips in front of a forward prefix ("AW: WG: …"); a subset of `reply`,
     * kept as the rule was tuned.
     */
    replyBeforeForward?: readonly string[];
    /** Openings of delivery-failure subjects ("Undeliverable", "Unzustellbar"); they count only with a bounce sender. */
    bounce?: readonly string[];
    /** Calendar invitation and response prefixes ("Invitation", "Accepted", "Einladung"), before a colon. */
    calendar?: readonly string[];
    /** Auto-responder subject openings (regex sources): 'automatische antwort', 'r[ée]ponse automatique'. */
    autoReplyPatterns?: readonly string[];
  };

  /** Out-of-office notices: how the body of one opens (all regex sources, matched on lower-cased text). */
  outOfOffice?: {
    /** Greetings that open a notice and are skipped: 'hallo', 'sehr geehrte'. */
    greetingPatterns?: readonly string[];
    /** "Thank you for your message" sentences, skipped. */
    thanksPatterns?: readonly string[];
    /** The statement that the writer is away, or that this is an automatic reply. */
    openingPatterns?: readonly string[];
  };

  /** What a forward's own note may say without saying anything ("FYI", "zie onder"), for the bare-forward rule. */
  forwardNote?: {
    /** Phrases that only point at the forward: 'see below', 'zur kenntnis'. */
    trivialPhrases?: readonly string[];
    /** Greetings, thanks and sign-offs of more than one word: 'kind regards', 'dank je wel'. */
    courtesyPhrases?: readonly string[];
    /** Single-word greetings, thanks and sign-offs: 'hi', 'danke', 'bises'. */
    courtesyWords?: readonly string[];
  };
}
