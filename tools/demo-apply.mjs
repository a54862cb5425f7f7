#!/usr/bin/env node
// Small kubectl stand-in for tools/demo-gitops.sh (the machine has no kubectl). It talks to the
// API server with sealops's own raw client (dist/, so `npm run build` first), which sends
// manifests as written, with the kubeconfig's TLS and credentials.
//
//   wait   KUBECONFIG                         wait until the API server answers /readyz
//   apply  KUBECONFIG FILE...                 server-side apply every document (waits for new CRDs)
//   keys   KUBECONFIG NS AGE_KEY [RSA_PEM]    create the agent's keys Secret sealops-keys
//   check  KUBECONFIG FILE...                 every object in FILEs exists; Secrets hold the same values
//   status KUBECONFIG NS NAME REVISION        the Sync is Ready at REVISION; prints its status
//
// Exit 0 on success, 1 when a check does not hold, 2 on bad arguments. Never prints a Secret
// value: mismatches name the key only.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Discovery, KubeApiError, KubeClient, loadKubeConfig, resourcePath } from '../dist/src/index.js';

const FIELD_MANAGER = 'sealops-demo';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every non-empty document of the YAML files, in order. */
function readObjects(files) {
  const out = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length) throw new Error(`failed to parse ${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj && typeof obj === 'object') out.push(obj);
    }
  }
  return out;
}

/** Where `obj` lives; retries for a while, since a CRD applied a moment ago is not served at once. */
async function locate(discovery, obj) {
  for (let i = 0; i < 100; i++) {
    const info = await discovery.resolve(obj.apiVersion, obj.kind);
    if (info) return resourcePath(info, obj.metadata?.namespace, obj.metadata?.name);
    await sleep(200);
  }
  throw new Error(`failed to find the resource for ${obj.apiVersion} ${obj.kind}: the API server does not serve it`);
}

function describe(obj) {
  return `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;
}

async function waitReady(client) {
  let last = '';
  for (let i = 0; i < 150; i++) {
    try {
      await client.request('GET', '/readyz', { accept: '*/*', timeoutMs: 2000 });
      return;
    } catch (err) {
      // /readyz answers plain "ok", which the JSON client reads as an empty body: any non-error is ready.
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new Error(`failed to reach the API server: ${last}`);
}

async function apply(client, files) {
  const discovery = new Discovery(client);
  for (const obj of readObjects(files)) {
    const path = await locate(discovery, obj);
    await client.request('PATCH', path, {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
    });
    console.log(`    applied ${describe(obj)}`);
  }
}

async function keys(client, namespace, ageKeyFile, pemFile) {
  // Entry names are the agent's contract: *.agekey are age identities, *.pem RSA keys.
  const stringData = { 'cluster.agekey': readFileSync(ageKeyFile, 'utf8') };
  if (pemFile) stringData['cluster.pem'] = readFileSync(pemFile, 'utf8');
  const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sealops-keys', namespace }, type: 'Opaque', stringData };
  await client.request('PATCH', `/api/v1/namespaces/${namespace}/secrets/sealops-keys`, {
    body,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: FIELD_MANAGER, force: 'true' },
  });
  console.log(`    applied Secret ${namespace}/sealops-keys (entries: ${Object.keys(stringData).join(', ')})`);
}

/** The decoded values a Secret manifest declares (`data` is base64, `stringData` wins, as in the API). */
function declaredValues(secret) {
  const values = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) values[k] = Buffer.from(String(v), 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) values[k] = String(v);
  return values;
}

async function check(client, files) {
  const discovery = new Discovery(client);
  let failed = 0;
  for (const obj of readObjects(files)) {
    const path = await locate(discovery, obj);
    let live;
    try {
      live = await client.request('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) {
        console.log(`    MISSING ${describe(obj)}`);
        failed++;
        continue;
      }
      throw err;
    }
    const managers = [...new Set((live.metadata?.managedFields ?? []).map((f) => f.manager))].join(', ');
    if (obj.kind !== 'Secret') {
      console.log(`    found   ${describe(obj)} (field managers: ${managers})`);
      continue;
    }
    const want = declaredValues(obj);
    const got = Object.fromEntries(Object.entries(live.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const wrong = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => want[k] !== got[k]);
    if (wrong.length) {
      console.log(`    DIFFERS ${describe(obj)}: key(s) ${wrong.join(', ')} do not match the original`);
      failed++;
    } else {
      console.log(`    match   ${describe(obj)}: ${Object.keys(want).length} value(s) equal the plaintext originals (keys: ${Object.keys(want).join(', ')}; field managers: ${managers})`);
    }
  }
  return failed === 0;
}

async function status(client, namespace, name, revision) {
  const sync = await client.request('GET', `/apis/sealops.dev/v1alpha1/namespaces/${namespace}/syncs/${name}`);
  const st = sync.status ?? {};
  const ready = (st.conditions ?? []).find((c) => c.type === 'Ready');
  console.log(`    Sync ${namespace}/${name}`);
  console.log(`      Ready:               ${ready?.status ?? '(none)'} (${ready?.reason ?? '-'}) ${ready?.message ?? ''}`.trimEnd());
  console.log(`      lastAppliedRevision: ${st.lastAppliedRevision ?? '(none)'}`);
  console.log(`      inventory:           ${(st.inventory?.entries ?? []).map((e) => (typeof e === 'string' ? e : (e.id ?? JSON.stringify(e)))).join(' ')}`);
  const ok = ready?.status === 'True' && String(st.lastAppliedRevision ?? '').includes(revision);
  if (!ok) console.log(`    expected Ready=True at revision ${revision}`);
  return ok;
}

async function main(argv) {
  const [cmd, kubeconfig, ...rest] = argv;
  const usage = (n) => {
    if (!kubeconfig || rest.length < n) throw Object.assign(new Error(`usage: demo-apply.mjs ${cmd ?? 'wait|apply|keys|check|status'} KUBECONFIG ...`), { exit: 2 });
  };
  const commands = {
    wait: () => (usage(0), waitReady),
    apply: () => (usage(1), (c) => apply(c, rest)),
    keys: () => (usage(2), (c) => keys(c, rest[0], rest[1], rest[2])),
    check: () => (usage(1), (c) => check(c, rest)),
    status: () => (usage(3), (c) => status(c, rest[0], rest[1], rest[2])),
  };
  if (!(cmd in commands)) throw Object.assign(new Error(`unknown command ${cmd}; use wait, apply, keys, check or status`), { exit: 2 });
  const run = commands[cmd]();
  const client = new KubeClient(loadKubeConfig(kubeconfig));
  try {
    return (await run(client)) === false ? 1 : 0;
  } finally {
    client.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`demo-apply: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err?.exit ?? 1;
}
