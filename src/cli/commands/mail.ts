// `understudy mail reply-text`: what the author of one message wrote, quotes and signature removed.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { simpleParser } from 'mailparser';
import { replyText } from '../../mail/reply-text.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export function registerMail(program: Command): void {
  const mail = program.command('mail').summary('tools for single messages');
  mail
    .command('reply-text')
    .argument('[file]', 'an RFC 822 message (.eml), or - for stdin', '-')
    .summary('print the text the author wrote, without quotes and signature')
    .description(
      'Reads a whole message (or, with --text, a plain body), removes quoted text, attribution\n' +
        'lines ("On … wrote:", "Op … schreef …:", Outlook header blocks …), forwarded sections and\n' +
        'the signature block (the sign-off line is kept), and prints what is left.',
    )
    .option('--text', 'the input is a plain-text body, not a whole message')
    .option('--html', 'the input is an HTML body, not a whole message')
    .option('--keep-signature', 'keep the signature block')
    .option('--json', 'print {text, quoted, forwarded, signature} as JSON')
    .action(async (file: string, opts: { text?: boolean; html?: boolean; keepSignature?: boolean; json?: boolean }) => {
      let input: Buffer;
      try {
        input = readFileSync(file === '-' ? 0 : file);
      } catch (err) {
        throw new CliError(
          `cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`,
          'INPUT_UNREADABLE',
          EXIT.FAILURE,
        );
      }
      let body: { text?: string | null; html?: string | null };
      if (opts.text) body = { text: input.toString('utf8') };
      else if (opts.html) body = { html: input.toString('utf8') };
      else {
        let parsed: Awaited<ReturnType<typeof simpleParser>>;
        try {
          parsed = await simpleParser(input, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
        } catch (err) {
          // mailparser refuses some malformed or hostile messages (thousands of MIME parts, broken
          // nesting): a problem with this message, not a crash.
          throw new CliError(
            `cannot parse ${file === '-' ? 'the message on stdin' : file} as an RFC 5322 message: ${(err as Error).message}\n` +
              '  fix: check that it is a whole message (.eml); for a bare body use --text or --html',
            'MESSAGE_MALFORMED',
            EXIT.DATAERR,
            err,
          );
        }
        const html = typeof parsed.html === 'string' ? parsed.html : null;
        // mailparser fills `text` from the HTML when there is no text/plain part; the HTML itself
        // is the better input then, because its quote containers mark what was quoted.
        const hasPlainPart = !html || /^content-type:\s*text\/plain/im.test(input.toString('latin1'));
        body = { text: hasPlainPart ? (parsed.text ?? null) : null, html };
      }
      const result = replyText(body, { keepSignature: Boolean(opts.keepSignature) });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(result.text ? `${result.text}\n` : '');
    });
}
