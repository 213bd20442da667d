// Language detection for one message's own text: franc-min's trigram model, with a word-list fallback for short emails.
import { franc } from 'franc-min';

/** Only this much of a message is looked at: language does not change after two kilobytes, and it keeps us fast. */
const MAX_SAMPLE_CHARS = 2_000;

/**
 * From this many letters on, franc's answer stands when the word lists do not decide. Below it franc
 * guesses, even restricted as below ("Sounds good, see you on Monday." → French, "Alles klar, bis
 * Montag." → Turkish), so the word lists go first.
 */
const LONG_LETTERS = 80;
/** From this many letters on, franc answers a text the word lists cannot place; below it that is 'und'. */
const MEDIUM_LETTERS = 40;
/**
 * Word-list points per word above which the word lists decide even a long text. Text in one of their
 * languages scores 0.2–0.45 (function words are a third of running text); text in another language
 * scores under 0.05 from chance look-alikes (Polish "i", Swedish "i", "du").
 */
const MIN_WORD_COVERAGE = 0.15;
/** Fewer letters than this is never a language ("Ok", "👍", "2x"). */
const MIN_LETTERS = 3;

/**
 * Languages franc may answer (ISO 639-3 → ISO 639-1). franc-min knows 82 languages, many of them
 * (Sundanese, Javanese, Hausa, Tagalog, Indonesian, …) written in Latin script; on short or odd text it
 * often picks one of those ("Bedankt, doe ik!" → Tshangla). Restricting it (`only`) to the European
 * languages written in Latin script plus the big languages of other scripts keeps its guesses among
 * languages our users plausibly write. Those in other scripts are mostly told apart by the script
 * itself, so they cost nothing in false positives. franc-min has no Danish, Norwegian, Finnish or
 * Catalan (it only carries languages with 8M+ speakers): such text comes out as a neighbour.
 */
const FRANC_LANGUAGES: Record<string, string> = {
  eng: 'en',
  nld: 'nl',
  deu: 'de',
  fra: 'fr',
  spa: 'es',
  ita: 'it',
  por: 'pt',
  pol: 'pl',
  ron: 'ro',
  ces: 'cs',
  hun: 'hu',
  swe: 'sv',
  tur: 'tr',
  hrv: 'hr',
  bos: 'bs',
  srp: 'sr',
  rus: 'ru',
  ukr: 'uk',
  bel: 'be',
  bul: 'bg',
  ell: 'el',
  arb: 'ar',
  pes: 'fa',
  urd: 'ur',
  hin: 'hi',
  ben: 'bn',
  cmn: 'zh',
  jpn: 'ja',
  kor: 'ko',
  tha: 'th',
};
const FRANC_ONLY = Object.keys(FRANC_LANGUAGES);

/**
 * Languages franc recognises from their script alone (one language per script in franc-min): the answer
 * is as good for a ten-character line as for a page, so no length threshold applies.
 */
const SCRIPT_ONLY = new Set(['ell', 'kor', 'jpn', 'cmn', 'tha', 'ben']);

/**
 * The fallback's word lists: frequent words of everyday email (function words, greetings, thanks,
 * sign-offs). A word two languages spell alike is either left out, when it is very frequent in both
 * (en/nl "is", "we"; fr/nl "je"; es/fr "que"; nl/de "die", "morgen"), or listed under each (de/fr "du",
 * es/pt "por"), so it adds to both and decides nothing. Greetings and thanks count double: a short email
 * is often little more than those. Italian and Portuguese are here mainly as competitors, so that
 * "Grazie, lo faccio domani" is not counted as Spanish.
 */
const WORDS: Record<string, { strong: string; common: string }> = {
  en: {
    strong: 'thanks thank thx cheers regards hello please sincerely',
    common:
      "the and you your i i'm i'll i've i'd it's don't can't won't that's let's this that with for have has had be are " +
      'would could should yes just what when how where my know great sounds good see tomorrow today meeting attached ' +
      'of to do not our they there about can get got fine sure wait sorry hey problem agreed worries talk soon ahead send need help happy think back ' +
      'here did does been which from if any at by some out',
  },
  nl: {
    strong: 'bedankt dank groet groeten hoi goedemorgen goedemiddag alvast vriendelijke mvg',
    common:
      'het een ik jij jou jouw jullie u uw wij zij niet wel maar ook nog dat dit voor met van naar bij heb hebben ben ' +
      'zijn wordt worden kan kunnen zal zou graag prima vandaag gisteren doe doen gedaan zie onder bijlage nee op om ' +
      'tot geen moet mij mijn ons onze wat waar hoe wanneer komt kom gaat ga wil weet laat alles maandag vrijdag klopt goed ' +
      'stuur spreek gang hier nu heeft had hun ze uit',
  },
  de: {
    strong: 'danke dank bitte vielen gruß grüße gruss grüsse lg mfg tschüss',
    common:
      'der und ich du wir ihr ihnen ist nicht mit auf für dass das den dem ein eine einen zu von bei mache machen ' +
      'gemacht habe haben hast hat bin sind wird werden kann können heute gestern schon noch auch aber oder sehr gerne ' +
      'gern mich mir dir dich mein meine sich uns unten siehe anbei genau klar alles gut guten schönen tag viele liebe ' +
      'lieber bis montag freitag kein keine problem einverstanden mach bald schicke melde hier jetzt wenn sie nur',
  },
  fr: {
    strong: 'merci bonjour bonsoir salut cordialement bises',
    common:
      'le les des du une et est qui pas pour avec sur dans vous nous il elle ce cette mais ou oui bien très suis sommes ' +
      "êtes ai avons avez fait faire occupe demain aujourd'hui hier ça voilà déjà plaît votre vos mon ma mes ton ta au " +
      'aux ne son lundi vendredi alors parfait voir joint jointe accord bientôt souci soir ici peux peut sont été avoir si',
  },
  es: {
    strong: 'gracias hola saludos atentamente abrazo',
    common:
      'el los las del y está están estoy soy son por para con una lo le se su sus yo mi muy pero sí bien hago hace ' +
      'hacer mañana hoy ayer también todo nos usted ustedes ya aquí vale claro cuando como cómo qué dónde buenos ' +
      'buenas día días adjunto lunes viernes perfecto vemos hay problema algo acuerdo adelante hablamos ' +
      'mando ha han sobre tengo tiene si',
  },
  it: {
    strong: 'grazie ciao buongiorno saluti cordiali',
    common:
      'il di che è sono per con una lo se mi ma ne come prima della delle degli gli questo questa anche molto ho hai ' +
      'abbiamo domani oggi faccio fatto perfetto certo bene problema ha si',
  },
  pt: {
    strong: 'obrigado obrigada olá abraço abraços atenciosamente',
    common:
      'você vocês não sim está por para se todo nos como claro muito bem também faço fazer amanhã hoje uma um ao às ' +
      'eu nós vou tudo isso essa esse problema algo sobre',
  },
};

/** Word → (language → weight), built once from WORDS. */
const WORD_WEIGHTS = buildWordWeights();

/** Letters that only one of the fallback's languages uses (among those seven). */
const LETTER_HINTS: [RegExp, string][] = [
  [/[ñ¿¡]/u, 'es'],
  [/[ßäöü]/u, 'de'],
  [/[ãõ]/u, 'pt'],
  [/[œ]/u, 'fr'],
  [/[ìò]/u, 'it'],
];

/** ISO 639-1 code ('en', 'nl', 'de', 'fr', 'es', 'it', 'pt', …) of the text, or 'und' when too short/unclear. */
export function detectLanguage(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return 'und';
  const sample = prepareSample(text);
  const letters = countLetters(sample);
  if (letters < MIN_LETTERS) return 'und';

  // Frequent words are the better evidence whenever they are plentiful: franc takes 120 characters of
  // plain business English ("Here is a spreadsheet detailing our September trades…") for French.
  const words = wordGuess(sample);
  if (words.confident && words.coverage >= MIN_WORD_COVERAGE) return words.language;

  const guess = francGuess(sample);
  const fromFranc = guess ? (FRANC_LANGUAGES[guess] ?? null) : null;
  if (!guess || !fromFranc) return words.confident ? words.language : 'und';
  if (SCRIPT_ONLY.has(guess) || letters >= LONG_LETTERS) return fromFranc;
  if (words.confident) return words.language;
  // Two weak signals that agree make a good one; a medium-length text without clear words goes to franc.
  if (fromFranc === words.language || letters >= MEDIUM_LETTERS) return fromFranc;
  return 'und';
}

/**
 * The part of the text worth analysing: the first MAX_SAMPLE_CHARS, without URLs, e-mail addresses and
 * numbers (which are language-neutral, and whose letters — "https", "www", "com" — push franc towards English).
 */
function prepareSample(text: string): string {
  return text
    .slice(0, MAX_SAMPLE_CHARS)
    .normalize('NFC')
    .replace(/\b(?:https?:\/\/|www\.)\S*/gi, ' ')
    .replace(/\S+@\S+/g, ' ')
    .replace(/[\p{N}_]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function countLetters(sample: string): number {
  return sample.match(/\p{L}/gu)?.length ?? 0;
}

/** franc's answer among FRANC_LANGUAGES, or null for 'und'. */
function francGuess(sample: string): string | null {
  const code = franc(sample, { only: FRANC_ONLY });
  return code in FRANC_LANGUAGES ? code : null;
}

interface WordGuess {
  language: string;
  confident: boolean;
  /** The best language's points per word of the text. */
  coverage: number;
}

/**
 * Scores the text against the word lists. Confident when the best language has at least two points (one
 * greeting or thanks, or two function words) and at least twice the runner-up's, so that a single word
 * never decides against evidence for another language.
 */
function wordGuess(sample: string): WordGuess {
  const scores: Record<string, number> = {};
  const add = (lang: string, points: number) => {
    scores[lang] = (scores[lang] ?? 0) + points;
  };
  const lower = sample.toLowerCase().replace(/[’‘`´]/g, "'");
  const tokens = lower.match(/[\p{L}']+/gu) ?? [];
  for (const word of tokens) {
    const token = word.replace(/^'+|'+$/g, '');
    const weights = WORD_WEIGHTS.get(token);
    if (weights) {
      for (const [lang, points] of weights) add(lang, points);
      continue;
    }
    // French elision (j'ai, m'en, d'accord, qu'il): a point for French, and the word itself is looked up.
    const elided = /^(?:j|m|t|s|c|n|d|l|qu)'(\p{L}+)$/u.exec(token);
    if (elided) {
      add('fr', 1);
      for (const [lang, points] of WORD_WEIGHTS.get(elided[1] ?? '') ?? []) add(lang, points);
    } else if (/\p{L}'(?:ll|re|ve|s|t|d|m)$/u.test(token)) {
      // English contractions that are not listed (we're, isn't, she'd).
      add('en', 1);
    }
    // The "ij" digraph is Dutch (mij, bij, tijd, zijn, blij) and rare in the others.
    if (token.includes('ij')) add('nl', 1);
  }
  for (const [pattern, lang] of LETTER_HINTS) if (pattern.test(lower)) add(lang, 1);

  const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best) return { language: 'und', confident: false, coverage: 0 };
  const secondScore = second?.[1] ?? 0;
  return {
    language: best[0],
    confident: best[1] >= 2 && best[1] >= 2 * secondScore,
    coverage: best[1] / tokens.length,
  };
}

function buildWordWeights(): Map<string, [string, number][]> {
  const map = new Map<string, [string, number][]>();
  for (const [lang, lists] of Object.entries(WORDS)) {
    for (const [list, points] of [
      [lists.strong, 2],
      [lists.common, 1],
    ] as const) {
      for (const word of list.split(' ')) {
        if (!word) continue;
        const entry = map.get(word) ?? [];
        entry.push([lang, points]);
        map.set(word, entry);
      }
    }
  }
  return map;
}
