#!/usr/bin/env node
// Draws a reproducible random sample of findings per rule from `gfp-lens check --format json` output,
// for the accuracy audit in docs/accuracy.md.
// Usage: node scripts/accuracy-sample.mjs findings.json [perRule=25] [seed=2026] [severity]
import fs from 'node:fs';

const [file, perRuleArg, seedArg, severity] = process.argv.slice(2);
if (!file) { console.error('usage: accuracy-sample.mjs findings.json [perRule] [seed]'); process.exit(2); }
const perRule = Number(perRuleArg ?? 25);
let seed = Number(seedArg ?? 2026) >>> 0;
// mulberry32: small, seeded, identical on every machine
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const findings = JSON.parse(fs.readFileSync(file, 'utf8'));
const byRule = new Map();
for (const f of findings) { if (severity && f.severity !== severity) continue; if (!byRule.has(f.rule)) byRule.set(f.rule, []); byRule.get(f.rule).push(f); }
for (const rule of [...byRule.keys()].sort()) {
  const all = byRule.get(rule);
  const idx = all.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  const pick = idx.slice(0, perRule).sort((a, b) => a - b).map((i) => all[i]);
  console.log(`## ${rule} (${all.length} findings, ${pick.length} sampled)\n`);
  pick.forEach((f, n) => {
    console.log(`${n + 1}. ${f.file}:${f.line} in ${f.function}() [${f.confidence}]: ${f.message}`);
    for (const s of f.path) console.log(typeof s === 'string' ? `    - ${s}` : `    - ${s.file}:${s.line}: ${s.text} (${s.kind})`);
  });
  console.log('');
}
