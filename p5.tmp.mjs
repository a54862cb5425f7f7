import { readFileSync, readdirSync } from 'node:fs';
import { Parser, Composer } from 'yaml';
const texts = []; for (let a = 0; a < 5; a++) for (const f of readdirSync(`/tmp/prof/tpl/clusters/prod/app-${a}`)) texts.push(readFileSync(`/tmp/prof/tpl/clusters/prod/app-${a}/${f}`, 'utf8'));
const what = process.argv[2];
const c0 = process.cpuUsage(); const t0 = performance.now(); let bytes = 0;
for (const text of texts) {
  const i = text.indexOf('\nsops:\n');
  const part = what === 'body' ? text.slice(0, i + 1) : what === 'sops' ? text.slice(i + 1) : text;
  bytes += part.length;
  const t = [...new Parser().parse(part)]; [...new Composer({ keepSourceTokens: true, intAsBigInt: true }).compose(t, false, part.length)];
}
const c = process.cpuUsage(c0);
console.log(what.padEnd(6), 'avg bytes', (bytes / texts.length).toFixed(0), 'cold cpu/file', ((c.user + c.system) / 1000 / texts.length).toFixed(3));
