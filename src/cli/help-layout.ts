// Lays out `--help` for the terminal's width (80 columns without a terminal): the commands write
// their descriptions as prose with line breaks where they fit ~100 columns, and commander keeps
// those breaks, so at 80 columns every such line ended in a ragged short fragment. Commander has
// no reflow option, hence these few functions.
import type { Command } from 'commander';

/** A line that starts a new item rather than continuing the sentence above it. */
const ITEM_START = /^\s*([-*•]\s|\d+[.)]\s|[A-Z][\w ]{0,20}:(\s|$)|understudy\b|[Ee]xit codes?\b)/;

/**
 * Joins the hand-broken lines of each paragraph of `text` into one line per paragraph, so it can
 * be wrapped again at another width. A blank line, an indented line, a list item or a line after
 * one ending in ':' stays where it is.
 */
export function reflow(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const previous = out[out.length - 1];
    const joins =
      previous !== undefined &&
      previous.trim() !== '' &&
      line.trim() !== '' &&
      !/^\s/.test(line) &&
      !/^\s/.test(previous) &&
      !/:$/.test(previous) &&
      !ITEM_START.test(line);
    if (joins) out[out.length - 1] = `${previous} ${line}`;
    else out.push(line);
  }
  return out.join('\n');
}

/**
 * Wraps every line of `text` longer than `width` at spaces, continuing with the line's own
 * indentation (two more for an indented item), and leaves shorter lines alone.
 */
export function wrapLines(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.length <= width) return line;
      const indent = /^\s*/.exec(line)?.[0] ?? '';
      const words = line.slice(indent.length).split(/ +/);
      const rows: string[] = [];
      let row = indent;
      for (const word of words) {
        const next = row.trim() === '' ? `${row}${word}` : `${row} ${word}`;
        if (next.length > width && row.trim() !== '') {
          rows.push(row);
          row = `${ITEM_START.test(line) && indent ? `${indent}  ` : indent}${word}`;
        } else row = next;
      }
      rows.push(row);
      return rows.join('\n');
    })
    .join('\n');
}

/**
 * Makes `program` (and the commands added to it afterwards, which inherit these settings) print
 * help reflowed for the terminal's width, 80 columns when stdout is not a terminal.
 */
export function layoutHelp(program: Command): Command {
  const width = () => Math.max(40, Math.min(process.stdout.isTTY ? (process.stdout.columns ?? 80) : 80, 100));
  return program
    .configureHelp({
      helpWidth: width(),
      boxWrap(str, boxWidth) {
        return wrapLines(reflow(str), boxWidth);
      },
    })
    .configureOutput({
      // addHelpText() text is printed as written: fit it too.
      writeOut: (str) => process.stdout.write(wrapLines(reflow(str), width())),
      writeErr: (str) => process.stderr.write(wrapLines(str, width())),
    });
}
