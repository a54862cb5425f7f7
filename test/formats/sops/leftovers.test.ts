import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, sealSecret, sealSops, unsealSops, verifySops, type AgeKeyPair } from '../../../src/index.js';
import { scanFile } from '../../../src/scan/file.js';
import { rsaKeyPair } from '../../support/rsa.js';

const PASSWORD = 'leftover-password-9d1c';
// What `kubectl get secret -o yaml` exports: the whole Secret again in last-applied-configuration.
const EXPORTED = `apiVersion: v1
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod"},"stringData":{"password":"${PASSWORD}"}}
    note: "rotated from ${PASSWORD}"
    owner: team-a
  labels:
    app: db
    hint: ${PASSWORD}
  name: db
  namespace: prod
stringData:
  password: ${PASSWORD}
`;

let key: AgeKeyPair;
beforeAll(async () => {
  key = await generateAgeKeyPair();
});

describe('sealing leaves no plaintext behind', () => {
  it('drops last-applied-configuration and every annotation or label holding a value, keeping the rest', async () => {
    const sealed = await sealSops(EXPORTED, { recipients: [key.recipient], source: 'db.yaml' });
    expect(sealed).not.toContain(PASSWORD);
    expect(sealed).not.toContain('last-applied-configuration');
    expect(sealed).toContain('    owner: team-a\n');
    expect(sealed).toContain('    app: db\n');
    expect((await verifySops(sealed, { identities: [key.identity] })).ok).toBe(true);
    const back = await unsealSops(sealed, { identities: [key.identity] });
    expect(back).toBe(`apiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n    owner: team-a\n  labels:\n    app: db\n  name: db\n  namespace: prod\nstringData:\n  password: ${PASSWORD}\n`);
  });

  it('drops template labels and annotations holding a value from a SealedSecret', () => {
    const { publicKey } = rsaKeyPair(2048);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'prod', labels: { app: 'db', hint: PASSWORD }, annotations: { note: `was ${PASSWORD}` } }, stringData: { password: PASSWORD } };
    const sealed = sealSecret(secret, createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })));
    expect(JSON.stringify(sealed)).not.toContain(PASSWORD);
    expect(sealed.spec.template.metadata.labels).toEqual({ app: 'db' });
  });
});

describe('verify and scan refuse a sealed file that shows a value in clear', () => {
  it('fails keyless verify and scan when last-applied-configuration was put back into a sealed file', async () => {
    const sealed = await sealSops(EXPORTED, { recipients: [key.recipient] });
    const annotation = `kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Secret","stringData":{"password":"${PASSWORD}"}}'`;
    const tampered = sealed.replace('    owner: team-a\n', `    owner: team-a\n    ${annotation}\n`);
    const keyless = await verifySops(tampered, {});
    expect(keyless.problems).toEqual([expect.stringMatching(/last-applied-configuration \(line \d+\) holds the Secret's values in clear/)]);
    expect(keyless.problems.join('\n')).not.toContain(PASSWORD);
    expect(scanFile('db.yaml', Buffer.from(tampered)).findings.map((f) => f.rule)).toContain('secret-last-applied');
  });

  it('fails verify -k when a value stands in clear in a comment or another readable field, sealed with it (so the MAC holds)', async () => {
    for (const plain of [`# the password is ${PASSWORD}\n${EXPORTED}`, EXPORTED.replace('  name: db\n', `  name: db\n  generateName: ${PASSWORD}\n`)]) {
      const sealed = await sealSops(plain, { recipients: [key.recipient] });
      expect(sealed).toContain(PASSWORD);
      const r = await verifySops(sealed, { identities: [key.identity] });
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/holds a sealed value in clear/);
      expect(r.problems.join('\n')).not.toContain(PASSWORD);
    }
  });
});
