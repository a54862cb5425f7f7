import { describe, expect, it } from 'vitest';
import { isPlaceholder } from '../../../src/scan/rules/placeholder.js';

describe('placeholder rule', () => {
  it.each(['', '   ', 'changeme', 'CHANGE_ME', 'replace-me', '${DB_PASSWORD}', '$DB_PASSWORD', '$(cat /run/secret)', '{{ .Values.password }}', '<password>', '<your token here>', '%PASSWORD%', 'xxxxxxxx', '********', 'TODO', '...', 'REDACTED'])(
    'treats %j as a placeholder',
    (v) => expect(isPlaceholder(v)).toBe(true),
  );

  it.each(['hunter2', 'a', 'p@ssw0rd!', 'changeme123', '${unterminated', '<a><b>', 'xx', 'prefix-${VAR}'])('treats %j as a value', (v) =>
    expect(isPlaceholder(v)).toBe(false),
  );
});
