// Reading git credentials from a source Secret's entries.
import { describe, expect, it } from 'vitest';
import { authFromEntries, signatureKeysFromEntries } from '../../../src/agent/source/index.js';
import { credentialValues } from '../../../src/git/source.js';
import { SourceError } from '../../../src/git/source.js';

describe('authFromEntries', () => {
  it('reads an SSH deploy key with its known_hosts', () => {
    expect(authFromEntries({ identity: 'KEY', known_hosts: 'host ssh-ed25519 AAAA' })).toEqual({ kind: 'ssh', privateKey: 'KEY', knownHosts: 'host ssh-ed25519 AAAA' });
  });

  it('refuses an SSH key without known_hosts: host keys are always checked', () => {
    expect(() => authFromEntries({ identity: 'KEY' })).toThrow(SourceError);
  });

  it('reads a bearer token, user and password, or a bare token', () => {
    expect(authFromEntries({ bearerToken: 'tok\n' })).toEqual({ kind: 'bearer', token: 'tok' });
    expect(authFromEntries({ username: 'ci', password: 'pw' })).toEqual({ kind: 'basic', username: 'ci', password: 'pw' });
    expect(authFromEntries({ token: 'ghp_x\n' })).toEqual({ kind: 'basic', username: 'git', password: 'ghp_x' });
  });

  it('refuses a Secret holding no credential it knows', () => {
    expect(() => authFromEntries({ user: 'x' })).toThrow(/none of identity, bearerToken, password, token/);
  });

  it('lists every credential value for redaction', () => {
    expect(credentialValues({ kind: 'basic', username: 'u', password: 'p4ss' })).toEqual(['p4ss', Buffer.from('u:p4ss').toString('base64')]);
    expect(credentialValues({ kind: 'ssh', privateKey: 'K', knownHosts: 'h' })).toEqual(['K']);
    expect(credentialValues({ kind: 'none' })).toEqual([]);
  });
});

describe('signatureKeysFromEntries', () => {
  const line = 'alice@example.invalid ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5ZrD3UNbNbQ1pS7Yy6k4PSnNrJvVPtLuFpBUj0m7aR';

  it('reads the allowed_signers entry', () => {
    expect(signatureKeysFromEntries({ allowed_signers: `${line}\n` })).toEqual({ allowedSigners: `${line}\n` });
  });

  it('reads OpenPGP keys from the entries ending .asc, in name order, beside allowed_signers', () => {
    const keys = signatureKeysFromEntries({ 'b.asc': 'KEY-B', 'a.asc': 'KEY-A', allowed_signers: line, note: 'x' });
    expect(keys).toEqual({ allowedSigners: line, openpgpKeys: ['KEY-A', 'KEY-B'] });
    expect(signatureKeysFromEntries({ 'release.asc': 'KEY' })).toEqual({ openpgpKeys: ['KEY'] });
  });

  it('refuses a Secret with neither allowed_signers nor an OpenPGP key', () => {
    expect(() => signatureKeysFromEntries({ other: line })).toThrow(/no allowed_signers entry and no OpenPGP key/);
    expect(() => signatureKeysFromEntries({ 'empty.asc': '  \n' })).toThrow(SourceError);
  });

  it('refuses an allowed_signers entry that lists no key', () => {
    const err = (() => {
      try {
        signatureKeysFromEntries({ allowed_signers: '# only a comment\n\n' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).reason).toBe('InvalidSource');
  });
});
