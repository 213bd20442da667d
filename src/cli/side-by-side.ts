// Two texts in two columns for the terminal (`dataset show`): each wrapped to its column, the shorter padded.
import { printable } from './printable.js';

/** Lays out `left` and `right` under their titles in two columns of a `width`-character terminal; at most `maxLines` lines each (the rest counted). */
export function sideBySide(
  left: { title: string; text: string },
  right: { title: string; text: string },
  width: number,
  maxLines = 30,
): string {
  const column = Math.max(20, Math.floor((width - 3) / 2));
  // Mail text: control characters shown as \xHH before wrapping, so the columns count what is seen.
  left = { title: printable(left.title), text: printable(left.text) };
  right = { title: printable(right.title), text: printable(right.text) };
  // Titles wrap too, and the shorter one is padded, so that both rules and both texts start on the same row.
  const titleA = wrap(left.title, column);
  const titleB = wrap(right.title, column);
  const titleRows = Math.max(titleA.length, titleB.length);
  const head = (t: string[]) => [...t, ...Array<string>(titleRows - t.length).fill(''), '─'.repeat(column)];
  const a = [...head(titleA), ...clip(wrap(left.text, column), maxLines)];
  const b = [...head(titleB), ...clip(wrap(right.text, column), maxLines)];
  const rows: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    rows.push(`${(a[i] ?? '').padEnd(column)} │ ${b[i] ?? ''}`.trimEnd());
  return rows.join('\n');
}

/** Hard-wraps each line at word boundaries (a word longer than the column is cut). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.replace(/\t/g, '  ').split('\n')) {
    let rest = line.trimEnd();
    if (!rest) {
      out.push('');
      continue;
    }
    while (rest.length > width) {
      const space = rest.lastIndexOf(' ', width);
      const cut = space > width / 3 ? space : width;
      out.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
    }
    out.push(rest);
  }
  return out;
}

function clip(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max - 1), `… (${lines.length - max + 1} more lines)`];
}
