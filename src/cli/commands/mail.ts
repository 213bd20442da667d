// `understudy mail reply-text`: what the author of a message wrote, decoded and cleaned exactly as sync and
// `dataset build` do it (decodeMessage, then the dataset's cleanContent), so what a user checks is what trains the model.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { cleanContent } from '../../dataset/clean.js';
import { STORED_HEADER_FIELDS } from '../../imap/sync-mailbox.js';
import { decodeMessage, MessageDecodeError, type StoredMessage } from '../../mail/message-decode.js';
import { replyParts } from '../../mail/reply-text.js';
import { CliError, describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { InputFileError, inputFileError } from '../input-file.js';
import { jsonError, markJsonAnswered } from '../json-error.js';
import { plural } from '../plural.js';
import { printable } from '../printable.js';

interface Options {
  text?: boolean;
  html?: boolean;
  keepSignature?: boolean;
  json?: boolean;
  received?: boolean;
}

/** Why one message could not be read; the command goes on with the next file and exits 65 at the end. */
class MessageProblem extends CliError {
  constructor(message: string, code: string, cause?: unknown) {
    super(message, code, EXIT.DATAERR, cause);
    this.name = 'MessageProblem';
  }
}

export function registerMail(program: Command): void {
  const mail = program.command('mail').summary('tools for single messages');
  mail
    .command('reply-text')
    .argument('[files...]', 'RFC 5322 messages (.eml), or - for stdin', ['-'])
    .summary('print the text the author wrote, without quotes and signature')
    .description(
      'Reads whole messages (or, with --text/--html, a bare body), decodes them as\n' +
        '`understudy sync` stores them (the same MIME parts, charset checks and\n' +
        'format=flowed handling) and cleans them as `dataset build` does: quoted text,\n' +
        'attribution lines ("On … wrote:", "Op … schreef …:", Outlook and Lotus Notes\n' +
        'header blocks …), forwarded sections and the signature block are removed; the\n' +
        'sign-off ("Best, Anna", "/ Jef") stays. What it prints is what the model learns.\n' +
        'A message that cannot be read is reported on stderr with the reason, the others\n' +
        'are still printed, and the exit status is 65 (66 when only files were missing or\n' +
        'unreadable).',
    )
    .option('--text', 'the input is a plain-text body, not a whole message')
    .option('--html', 'the input is an HTML body, not a whole message')
    .option(
      '--received',
      'decode as received mail (sync then skips the HTML when there is a text part); default: as sent mail',
    )
    .option('--keep-signature', 'keep the signature block')
    .option(
      '--json',
      'one JSON object per message and line: reply, signOff, signature, attribution, quote, quoted, forwarded, language, skipReasons, and how it was decoded',
    )
    .action((files: string[], opts: Options) => {
      const failed: (MessageProblem | InputFileError)[] = [];
      for (const file of files.length > 0 ? files : ['-']) {
        const name = file === '-' ? 'the message on stdin' : file;
        try {
          const result = readOne(file, name, opts);
          if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else {
            if (files.length > 1) process.stdout.write(`==> ${file} <==\n`);
            // On a terminal the sender's control characters are shown as \xHH, not played; a pipe gets the text as it is.
            const shown = process.stdout.isTTY ? printable(String(result.reply ?? '')) : result.reply;
            process.stdout.write(shown ? `${shown}\n` : '');
            // Nothing of its own: say so (and what dataset build does with it) rather than print nothing.
            if (!result.reply)
              process.stderr.write(
                `understudy: ${name} has no text of its own (${result.quoted ? 'only quoted text: dataset build leaves it out as quote_only' : 'empty: dataset build leaves it out as empty_reply'})\n`,
              );
          }
        } catch (err) {
          if (!(err instanceof MessageProblem || err instanceof InputFileError)) throw err;
          failed.push(err);
          if (opts.json) {
            // The common error body (code, kind, message, fix, exitCode) with ok: false, on its own line.
            process.stdout.write(`${JSON.stringify({ file, ...jsonError(err, describeError(err)) })}\n`);
          }
          process.stderr.write(`understudy: ${err.message}\n`);
        }
      }
      if (failed.length > 0) {
        // Only files that could not be read: sysexits' EX_NOINPUT (66), as `log --file`; a
        // message that was read and is malformed makes it 65.
        const noInput = failed.every((f) => f instanceof InputFileError);
        const summary = new CliError(
          failed.length === 1 && files.length <= 1
            ? `the ${noInput ? 'file' : 'message'} could not be read (see above)`
            : `${failed.length} of ${plural(files.length, 'message')} could not be read (see above)`,
          noInput ? (failed[0]?.code ?? 'INPUT_NOT_FOUND') : 'MESSAGE_MALFORMED',
          noInput ? EXIT.NOINPUT : EXIT.DATAERR,
        );
        // --json already gave one {file, error} line per failed file: no extra object at the end.
        if (opts.json) markJsonAnswered(summary);
        throw summary;
      }
    });
}

/** One input → its reply text and parts. Throws MessageProblem (unreadable, not a message, hostile structure). */
function readOne(file: string, name: string, opts: Options): Record<string, unknown> {
  let input: Buffer;
  try {
    input = readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw inputFileError(file, err, file === '-' ? name : 'the message', 'understudy mail reply-text');
  }
  let stored: StoredMessage;
  if (opts.text || opts.html) {
    const body = input.toString('utf8');
    stored = {
      headers: '',
      mimeType: opts.html ? 'text/html' : 'text/plain',
      bodyText: opts.html ? null : body,
      bodyHtml: opts.html ? body : null,
      textTruncated: false,
      attachments: [],
      problems: [],
      cutOff: null,
    };
  } else {
    try {
      stored = decodeMessage(input, { sent: !opts.received, headerFields: STORED_HEADER_FIELDS });
    } catch (err) {
      if (!(err instanceof MessageDecodeError)) throw err;
      throw new MessageProblem(
        `cannot parse ${name} as an RFC 5322 message: ${err.message}\n  fix: give a whole message (.eml); for a bare body use --text or --html`,
        `MESSAGE_${err.code}`,
        err,
      );
    }
    if (stored.cutOff !== null) {
      throw new MessageProblem(
        `cannot parse ${name} as an RFC 5322 message: ${stored.cutOff}; a letter has a few, so this is broken or hostile input (sync stores only its first text parts)`,
        'MESSAGE_STRUCTURE_LIMIT',
      );
    }
    if (stored.bodyText === null && stored.bodyHtml === null) {
      const parts = stored.attachments.map((a) => a.type).join(', ') || 'none';
      throw new MessageProblem(
        `${name} has no text part to read (its parts: ${parts})${stored.problems.length ? `; ${stored.problems.join('; ')}` : ''}`,
        'MESSAGE_NO_TEXT',
      );
    }
  }
  // The dataset's own cleaning, on what sync would have stored.
  const cleaned = cleanContent({
    headers: stored.headers,
    mime_type: stored.mimeType,
    body_text: stored.bodyText,
    body_html: stored.bodyHtml,
    attachments: JSON.stringify(stored.attachments),
  });
  if (cleaned.error !== null) throw new MessageProblem(`cannot clean ${name}: ${cleaned.error}`, 'MESSAGE_UNREADABLE');
  const parts = replyParts(
    { text: stored.bodyText, html: stored.bodyHtml },
    { keepSignature: Boolean(opts.keepSignature) },
  );
  return {
    file,
    reply: opts.keepSignature ? parts.text : (cleaned.ownText ?? ''),
    signOff: parts.signOff,
    signature: parts.signature,
    attribution: parts.attribution,
    attributionFields: parts.attributionFields,
    quote: parts.quote,
    quoted: parts.quoted,
    forwarded: parts.forwarded,
    language: cleaned.language,
    skipReasons: cleaned.skipReasons,
    decoded: {
      mimeType: stored.mimeType,
      from:
        stored.bodyText !== null && stored.bodyText.trim() !== '' ? 'text/plain' : stored.bodyHtml ? 'text/html' : null,
      truncated: stored.textTruncated,
      problems: stored.problems,
    },
  };
}
