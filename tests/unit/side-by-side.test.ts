// The two-column layout of `understudy dataset show`: wrapping, clipping and alignment.
import { describe, expect, it } from 'vitest';
import { sideBySide, wrap } from '../../src/cli/side-by-side.js';

describe('sideBySide', () => {
  it('wraps at word boundaries and cuts a word longer than the column', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrap('a\n\nb', 5)).toEqual(['a', '', 'b']);
  });

  it('keeps both columns aligned when titles wrap to different heights, and clips long texts', () => {
    const out = sideBySide(
      { title: 'INCOMING from Pieter Jansen <pieter@klant.example>, 2024-01-09', text: 'Hoi Anna,\n\nKun je vrijdag?' },
      { title: 'YOUR REPLY', text: Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') },
      63,
      10,
    );
    const rows = out.split('\n');
    console.log(out);
    // Every row has the separator at the same column.
    for (const row of rows) expect(row.indexOf('│')).toBe(31);
    const rule = rows.findIndex((r) => r.startsWith('─'));
    expect(rows[rule]?.split('│')[1]?.trim()).toMatch(/^─+$/);
    expect(rows[rule + 1]).toMatch(/^Hoi Anna,\s+│ line 0$/);
    expect(rows.at(-1)).toMatch(/│ … \(41 more lines\)$/);
  });
});
