// Reading git credentials from a source Secret's entries.
import { describe, expect, it } from 'vitest';
import { authFromEntries } from '../../../src/agent/source/index.js';
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
