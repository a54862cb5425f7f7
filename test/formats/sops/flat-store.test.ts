import { describe, expect, it } from 'vitest';
import { flatMetadata, parseFlat, renderFlat } from '../../../src/formats/sops/flat-store.js';

describe('dotenv and INI stores', () => {
  it('unflattens sops_ keys into metadata, turning \\n back into newlines', () => {
    const text = 'A=1\nsops_age__list_0__map_enc=line1\\nline2\\n\nsops_age__list_0__map_recipient=age1x\nsops_lastmodified=2024-01-01T00:00:00Z\nsops_mac=ENC[x]\nsops_mac_only_encrypted=true\nsops_version=3.9.0\n';
    const file = parseFlat(text, 'dotenv');
    expect(file.rawMeta).toEqual({ age: [{ enc: 'line1\nline2\n', recipient: 'age1x' }], lastmodified: '2024-01-01T00:00:00Z', mac: 'ENC[x]', mac_only_encrypted: 'true', version: '3.9.0' });
    expect(flatMetadata(file, 'f').mac_only_encrypted).toBe(true);
    expect(renderFlat(file, null)).toBe('A=1\n');
  });

  it('reads INI sections as paths and the [sops] section as metadata', () => {
    const text = '; note\n[db]\nuser = app\n\n[sops]\nmac = ENC[x]\nlastmodified = 2024-01-01T00:00:00Z\nversion = 3.7.1\n';
    const file = parseFlat(text, 'ini');
    expect(file.lines.filter((l) => l.kind === 'kv' && !l.isMeta).map((l) => [l.path, l.value])).toEqual([[['db', 'user'], 'app']]);
    expect(file.rawMeta).toEqual({ mac: 'ENC[x]', lastmodified: '2024-01-01T00:00:00Z', version: '3.7.1' });
  });

  it('refuses a dotenv line without =', () => {
    expect(() => parseFlat('JUST_A_WORD\n', 'dotenv')).toThrow(/expected KEY=value/);
  });
});
