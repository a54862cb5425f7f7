import { readFileSync, readdirSync } from 'node:fs';
import { Parser, Composer, Lexer } from 'yaml';
const texts = []; for (let a = 0; a < 5; a++) for (const f of readdirSync(`/tmp/prof/tpl/clusters/prod/app-${a}`)) texts.push(readFileSync(`/tmp/prof/tpl/clusters/prod/app-${a}/${f}`, 'utf8'));
const what = process.argv[2];
const s = await import('/work/main/dist/src/formats/sops/store.js');
const e = await import('/work/main/dist/src/formats/sops/engine.js');
const id = readFileSync('/tmp/prof/team.key', 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET'));
const cfg = readFileSync('/tmp/prof/tpl/.sealops.yaml', 'utf8');
const recips = [/recipients: \[(age1\w+)\]/.exec(cfg)[1], /team: \[(age1\w+)\]/.exec(cfg)[1]];
const c0 = process.cpuUsage(); const t0 = performance.now();
for (const text of texts) {
  if (what === 'parser') [...new Parser().parse(text)];
  else if (what === 'lexer') [...new Lexer().lex(text)];
  else if (what === 'split') text.split('\n').map((l) => l.length);
  else if (what === 'composer') { const t = [...new Parser().parse(text)]; [...new Composer({ keepSourceTokens: true, intAsBigInt: true }).compose(t, false, text.length)]; }
  else if (what === 'loadStore') s.loadStore(text, { source: 'x.yaml', phase: 'sealed' }).metadata();
  else if (what === 'rekey') await e.rekeySops(text, { identities: [id], recipients: recips, source: 'x.yaml' });
  else if (what === 'rotate') await e.rotateSops(text, { identities: [id], source: 'x.yaml' });
}
const c = process.cpuUsage(c0);
console.log(what.padEnd(10), 'cold avg over', texts.length, ((performance.now() - t0) / texts.length).toFixed(3), 'ms wall', ((c.user + c.system) / 1000 / texts.length).toFixed(3), 'ms cpu');
