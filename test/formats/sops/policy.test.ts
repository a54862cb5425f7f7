import { describe, expect, it } from 'vitest';
import { makeSelector, pathAad } from '../../../src/formats/sops/policy.js';

describe('which leaves are encrypted', () => {
  it('encrypts everything by default except paths with an element ending in the unencrypted suffix', () => {
    const s = makeSelector({ unencrypted_suffix: '_unencrypted' });
    expect(s(['a', 'b'])).toBe(true);
    expect(s(['a_unencrypted', 'b'])).toBe(false);
    expect(s(['a', 'b_unencrypted'])).toBe(false);
  });

  it('with encrypted_regex encrypts only paths where some element matches', () => {
    const s = makeSelector({ encrypted_regex: '^(data|stringData)$' });
    expect(s(['stringData', 'password'])).toBe(true);
    expect(s(['data', 'x'])).toBe(true);
    expect(s(['metadata', 'name'])).toBe(false);
    expect(s(['metadata', 'annotations', 'data'])).toBe(true);
    expect(s(['mydata'])).toBe(false);
  });

  it('honours encrypted_suffix and unencrypted_regex', () => {
    expect(makeSelector({ encrypted_suffix: '_secret' })(['a_secret'])).toBe(true);
    expect(makeSelector({ encrypted_suffix: '_secret' })(['a'])).toBe(false);
    expect(makeSelector({ unencrypted_regex: '^public' })(['publicKey'])).toBe(false);
    expect(makeSelector({ unencrypted_regex: '^public' })(['privateKey'])).toBe(true);
  });

  it('lets comment regexes decide for comments', () => {
    const s = makeSelector({ encrypted_regex: '^data$', unencrypted_comment_regex: 'keep' });
    expect(s.comment(['data'], ' secret note')).toBe(true);
    expect(s.comment(['data'], ' keep me')).toBe(false);
    expect(s.comment([], ' top')).toBe(false);
  });

  it('builds the AAD from map keys with a trailing colon', () => {
    expect(pathAad(['stringData', 'password'])).toBe('stringData:password:');
    // A top-level comment: sops joins the empty path and still appends the colon.
    expect(pathAad([])).toBe(':');
  });
});
