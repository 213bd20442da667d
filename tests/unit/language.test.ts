// Language detection (src/mail/language): short replies, long emails, other languages and garbage.
import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/mail/language.js';

/** Checks every text and reports all mismatches at once, so one failure shows the whole picture. */
function expectLanguages(expected: string, texts: string[]): void {
  const wrong = texts.map((t) => [t, detectLanguage(t)] as const).filter(([, got]) => got !== expected);
  expect(wrong, `expected ${expected}`).toEqual([]);
}

describe('short replies (the word-list fallback)', () => {
  it('English', () => {
    expectLanguages('en', [
      'Thanks, will do!',
      'Thank you',
      'Thx',
      'Sounds good, see you on Monday.',
      'Great, thanks!',
      'Yes please, that works for me.',
      'Sorry for the late reply.',
      'Sure, no problem.',
      'Got it, I will send the figures tonight.',
      'Can we move the call to Thursday afternoon?',
      "I'll check with Mark and get back to you.",
      'Agreed. Go ahead.',
    ]);
  });

  it('Dutch', () => {
    expectLanguages('nl', [
      'Bedankt, doe ik!',
      'Bedankt',
      'Prima, tot maandag dan.',
      'Top, dank je wel!',
      'Ja hoor, geen probleem.',
      'Dat is goed, ik kom om drie uur.',
      'Zie bijlage.',
      'Komt goed, ik stuur de cijfers vanavond.',
      'Kunnen we het gesprek naar donderdagmiddag verplaatsen?',
      'Ik check het even met Mark en laat het je weten.',
      'Klopt. Ga je gang.',
    ]);
  });

  it('German', () => {
    expectLanguages('de', [
      'Danke, mache ich!',
      'Danke',
      'Alles klar, bis Montag.',
      'Super, vielen Dank!',
      'Ja, kein Problem.',
      'Das passt, ich komme um drei.',
      'Siehe Anhang.',
      'Alles klar, ich schicke die Zahlen heute Abend.',
      'Können wir das Gespräch auf Donnerstagnachmittag verschieben?',
      'Ich kläre das mit Mark und melde mich dann.',
      'Einverstanden. Mach ruhig.',
    ]);
  });

  it('French', () => {
    expectLanguages('fr', [
      "Merci, je m'en occupe !",
      'Merci',
      'Parfait, à lundi alors.',
      'Super, merci beaucoup !',
      'Oui, pas de problème.',
      'Ça marche, je viens à trois heures.',
      'Voir pièce jointe.',
      "C'est noté, j'envoie les chiffres ce soir.",
      "Pouvons-nous déplacer l'appel à jeudi après-midi ?",
      'Je vérifie avec Mark et je reviens vers toi.',
      "D'accord. Vas-y.",
    ]);
  });

  it('Spanish', () => {
    expectLanguages('es', [
      '¡Gracias, lo hago!',
      'Gracias',
      'Perfecto, nos vemos el lunes.',
      'Genial, ¡muchas gracias!',
      'Sí, no hay problema.',
      'Vale, voy a las tres.',
      'Te lo mando mañana.',
      'Entendido, te mando las cifras esta noche.',
      '¿Podemos mover la llamada al jueves por la tarde?',
      'Lo hablo con Mark y te digo algo.',
      'De acuerdo. Adelante.',
    ]);
  });

  it('keeps Italian and Portuguese apart from Spanish and French', () => {
    expect(detectLanguage('Grazie, lo faccio domani.')).toBe('it');
    expect(detectLanguage('Obrigado, faço isso amanhã.')).toBe('pt');
  });

  it('ignores typographic apostrophes and capitals', () => {
    expect(detectLanguage('MERCI, JE M’EN OCCUPE !')).toBe('fr');
    expect(detectLanguage('I’ll send it tomorrow, thanks')).toBe('en');
  });
});

describe('longer emails', () => {
  const emails: Record<string, string> = {
    en: "Hi all,\n\nFollowing up on yesterday's call: the vendor has agreed to push the delivery date to the end of March, provided we confirm the order by Friday. I think we should accept, but I'd like Sarah to double-check the penalty clause first. If nobody objects I will sign on Thursday.\n\nBest,\nTom",
    nl: 'Hallo allemaal,\n\nNaar aanleiding van het gesprek van gisteren: de leverancier gaat akkoord met het verschuiven van de leverdatum naar eind maart, mits we de bestelling voor vrijdag bevestigen. Ik denk dat we dat moeten accepteren, maar ik wil dat Sarah eerst de boeteclausule nakijkt. Als niemand bezwaar heeft, teken ik donderdag.\n\nGroet,\nTom',
    de: 'Hallo zusammen,\n\nzum Telefonat von gestern: Der Lieferant ist einverstanden, den Liefertermin auf Ende März zu verschieben, sofern wir die Bestellung bis Freitag bestätigen. Ich finde, wir sollten das annehmen, möchte aber, dass Sarah vorher die Vertragsstrafe prüft. Wenn niemand etwas dagegen hat, unterschreibe ich am Donnerstag.\n\nBeste Grüße\nTom',
    fr: "Bonjour à tous,\n\nSuite à l'appel d'hier : le fournisseur accepte de repousser la date de livraison à fin mars, à condition que nous confirmions la commande avant vendredi. Je pense qu'il faut accepter, mais j'aimerais que Sarah vérifie d'abord la clause de pénalité. Si personne ne s'y oppose, je signe jeudi.\n\nBien à vous,\nTom",
    es: 'Hola a todos:\n\nSobre la llamada de ayer: el proveedor acepta retrasar la fecha de entrega hasta finales de marzo, siempre que confirmemos el pedido antes del viernes. Creo que deberíamos aceptar, pero quiero que Sarah revise antes la cláusula de penalización. Si nadie se opone, firmo el jueves.\n\nUn saludo,\nTom',
    it: "Ciao a tutti,\n\nin merito alla chiamata di ieri: il fornitore accetta di spostare la data di consegna a fine marzo, purché confermiamo l'ordine entro venerdì. Penso che dovremmo accettare, ma vorrei che Sarah controllasse prima la clausola penale. Se nessuno è contrario, firmo giovedì.",
    pt: 'Olá a todos,\n\nSobre a chamada de ontem: o fornecedor aceita adiar a data de entrega para o fim de março, desde que confirmemos a encomenda até sexta-feira. Acho que devemos aceitar, mas gostaria que a Sarah verificasse primeiro a cláusula de penalização. Se ninguém se opuser, assino na quinta-feira.',
    pl: 'Cześć wszystkim,\n\nw nawiązaniu do wczorajszej rozmowy: dostawca zgadza się przesunąć termin dostawy na koniec marca, pod warunkiem że potwierdzimy zamówienie do piątku. Myślę, że powinniśmy się zgodzić, ale chciałbym, żeby Sarah najpierw sprawdziła klauzulę o karach umownych.',
    sv: 'Hej alla,\n\nApropå samtalet i går: leverantören går med på att skjuta upp leveransdatumet till slutet av mars, förutsatt att vi bekräftar beställningen senast på fredag. Jag tycker att vi ska acceptera, men jag vill att Sarah först tittar på vitesklausulen.',
    ro: 'Bună tuturor,\n\nîn legătură cu apelul de ieri: furnizorul acceptă să amâne data livrării până la sfârșitul lunii martie, cu condiția să confirmăm comanda până vineri. Cred că ar trebui să acceptăm, dar aș vrea ca Sarah să verifice mai întâi clauza de penalizare.',
    tr: "Herkese merhaba,\n\ndünkü görüşmeyle ilgili olarak: tedarikçi, siparişi cuma gününe kadar onaylamamız koşuluyla teslim tarihini mart sonuna ertelemeyi kabul ediyor. Bence kabul etmeliyiz, ama önce Sarah'nın ceza maddesini kontrol etmesini istiyorum.",
    ru: 'Всем привет! По итогам вчерашнего звонка: поставщик согласен перенести срок поставки на конец марта, если мы подтвердим заказ до пятницы. Думаю, нужно соглашаться, но сначала пусть Сара проверит пункт о штрафах.',
  };

  for (const [language, text] of Object.entries(emails)) {
    it(`detects ${language}`, () => {
      expect(detectLanguage(text)).toBe(language);
    });
  }

  it('gets short business English right where trigrams alone say French or Dutch', () => {
    expectLanguages('en', [
      'Mark, Here is a spreadsheet detailing our September trades. (I did not distinguish between buys vs. sells.) Phil',
      'When can we reschedule the meeting regarding the stock deferral. Any day except Thursday would work. Phil',
      'Larry, Jacques has sent a document to Claudia for your review. Just dropping you a line to confirm that you have seen it.',
    ]);
  });

  it('is not swayed by URLs, addresses and numbers in the text', () => {
    const text =
      'Hoi Jan, de link is https://www.example.com/the-quick-brown-fox-jumps-over-the-lazy-dog?and=more&words=here ' +
      'en je kunt mailen naar support-team@example.com of bellen met 020 123 4567. Groet, Piet';
    expect(detectLanguage(text)).toBe('nl');
  });

  it('only looks at the start of a very long text, quickly', () => {
    const text = `${'Ik stuur je morgen de cijfers, dan kunnen we het er vrijdag over hebben. '.repeat(40)}${'The rest is English. '.repeat(50_000)}`;
    const started = performance.now();
    expect(detectLanguage(text)).toBe('nl');
    console.log(`language of a long text: ${(performance.now() - started).toFixed(0)} ms`);
  });
});

describe('other scripts', () => {
  it('names languages that their script gives away, even when short', () => {
    expect(detectLanguage('Ευχαριστώ πολύ, θα το κάνω αύριο.')).toBe('el');
    expect(detectLanguage('ありがとうございます、明日送ります。')).toBe('ja');
    expect(detectLanguage('감사합니다, 내일 보내드릴게요.')).toBe('ko');
  });
});

describe('too short or not language', () => {
  it("answers 'und'", () => {
    expectLanguages('und', [
      '',
      '   \n\t ',
      '12345',
      '+31 6 1234 5678',
      'https://example.com/some/path?x=1',
      'www.example.org http://foo.example.net/baz',
      'https://meet.example.com/j/123456789?pwd=abcdef',
      'jan@example.com',
      'Ok',
      'OK OK',
      '👍',
      ':-)',
      '...',
      '---',
      'xD',
      'asdfghjkl',
      'Re: Re: FW:',
    ]);
  });

  it('never throws on input of the wrong type', () => {
    expect(detectLanguage(undefined as unknown as string)).toBe('und');
    expect(detectLanguage(42 as unknown as string)).toBe('und');
  });
});
