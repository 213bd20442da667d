// HTML → text for mail bodies (src/mail/html-text): readable output, and bounded time on hostile markup.
import { describe, expect, it } from 'vitest';
import { capHtml, htmlToText, MAX_HTML_CHARS, MAX_NESTING } from '../../src/mail/html-text.js';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

describe('htmlToText', () => {
  it('keeps links readable, lists and line breaks, and drops images', () => {
    const text = htmlToText(
      '<p>See <a href="https://example.com/a">the plan</a> and <a href="https://example.com">https://example.com</a>.</p>' +
        '<p>Mail <a href="mailto:anna@example.com">Anna</a><br>or call</p>' +
        '<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><img src="cid:logo" alt="Logo">',
    );
    expect(text).toBe(
      'See the plan <https://example.com/a> and https://example.com.\n\nMail Anna\nor call\n\n- one\n- two\n\n 1. first',
    );
  });

  it('does not wrap long lines and does not upper-case headings', () => {
    const long = 'word '.repeat(60).trim();
    expect(htmlToText(`<h2>Plan</h2><div>${long}</div>`)).toBe(`Plan\n\n${long}`);
  });

  it('writes Outlook MsoNormal paragraphs one per line, table rows one per line', () => {
    const text = htmlToText(
      '<p class=MsoNormal>Hi Jan,</p><p class=MsoNormal>Akkoord.</p>' +
        '<table><tr><td>Anna</td><td>CEO</td></tr><tr><td>Acme</td></tr></table>',
    );
    expect(text).toBe('Hi Jan,\nAkkoord.\nAnna CEO\nAcme');
  });

  it('drops <style>, <head> and inline data: images without counting them against the cap', () => {
    const css = `<style>${'p{color:red}'.repeat(50_000)}</style>`;
    const img = `<img src="data:image/png;base64,${'A'.repeat(MAX_HTML_CHARS)}">`;
    const text = htmlToText(`<html><head><title>t</title>${css}</head><body>${img}<p>Hello</p></body></html>`);
    expect(text).toBe('Hello');
  });

  it('returns within bounded time on a 100k-deep nesting bomb, keeping the text before it', () => {
    const bomb = `<p>before</p>${'<div>'.repeat(100_000)}deep${'</div>'.repeat(100_000)}<p>after</p>`;
    const { value, ms } = timed(() => htmlToText(bomb));
    console.log(`nesting bomb: ${ms.toFixed(0)} ms, ${value.length} chars out`);
    expect(value.startsWith('before')).toBe(true);
  });

  it('returns within bounded time on megabytes of markup (cut at MAX_HTML_CHARS)', () => {
    const big = '<p>hello world</p>'.repeat(400_000);
    const { value, ms } = timed(() => htmlToText(big));
    console.log(`${(big.length / 1e6).toFixed(1)} MB of <p>: ${ms.toFixed(0)} ms`);
    expect(value.startsWith('hello world')).toBe(true);
    expect(value.length).toBeLessThan(MAX_HTML_CHARS);
  });

  it('never throws on broken or hostile input', () => {
    const inputs = [
      '',
      '<',
      '<<<>>>',
      '<div',
      '</p></div></body>',
      '<!--',
      `<div ${'a="1" '.repeat(50_000)}>x</div>`,
      '<p>\ud800 lone surrogate</p>',
      '\u0000\u0001<b>x</b>',
      '<script>alert(1)</script>visible',
    ];
    for (const html of inputs) expect(() => htmlToText(html)).not.toThrow();
    expect(htmlToText('<script>alert(1)</script>visible')).toBe('visible');
  });
});

describe('capHtml', () => {
  it('cuts the markup where elements nest deeper than MAX_NESTING', () => {
    const html = `${'<div>'.repeat(MAX_NESTING + 10)}x`;
    const capped = capHtml(html);
    expect(capped).toBe('<div>'.repeat(MAX_NESTING));
  });

  it('does not count void elements or optional end tags as nesting', () => {
    const html = `${'<br><p>line'.repeat(MAX_NESTING * 2)}`;
    expect(capHtml(html)).toBe(html);
  });
});
