// The escaping template of the status page: interpolated text is always escaped, markup made
// by the template is kept, and nothing else can pass unescaped.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/server/html.js';

describe('escapeHtml', () => {
  it('escapes the five characters that can open a tag, an entity or leave a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe('html', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const evil = `"><script>alert(1)</script>`;
    const out = html`<p title="${evil}">${evil}</p>`.text;
    expect(out).toBe('<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('keeps markup built by itself, joins lists, and drops undefined, null and false', () => {
    const items = ['<b>', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${0}`.text).toBe('<ul><li>&lt;b&gt;</li><li>c</li></ul>0');
  });

  it('escapes an object that only looks like markup', () => {
    const fake = { text: '<script>x</script>' };
    expect(html`${fake}`.text).toBe('{&quot;text&quot;:&quot;&lt;script&gt;x&lt;/script&gt;&quot;}');
  });
});
