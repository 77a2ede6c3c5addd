#!/usr/bin/env node
// Text corpus for the tiny model's tokenizer: prompts and gold answers of the package's own
// generators (every entry of tasks.mjs's MIX, several seeds and lengths), counted with cl100k so
// no tokenizer preset is needed. One JSON string per line.
//
//   npm run build && node scripts/train-tiny/corpus.mjs --out data/tiny/corpus.jsonl [--dist dist] [--samples 3]
import process from 'node:process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MIX, parseFlags } from './tasks.mjs';

const flags = parseFlags(process.argv.slice(2));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = resolve(flags.dist ?? resolve(root, 'dist'));
const out = resolve(flags.out ?? resolve(root, 'data/tiny/corpus.jsonl'));
const samples = Number(flags.samples ?? 3);
const lengths = String(flags.lengths ?? '512,1024,2048,4096').split(',').map(Number);
const seeds = String(flags.seeds ?? '9001,9002').split(',');

const g = await import(pathToFileURL(resolve(dist, 'generators/index.js')).href);
const s = await import(pathToFileURL(resolve(dist, 'scorers/index.js')).href);
const tokenizer = g.loadTokenizer('cl100k');
mkdirSync(dirname(out), { recursive: true });
const stream = createWriteStream(out);
let written = 0;
let chars = 0;
for (const seed of seeds) {
  for (const entry of MIX) {
    for (const length of lengths) {
      for (let index = 0; index < samples; index++) {
        let sample;
        try {
          sample = g.generateSample({ task: entry.task, params: entry.params, length, index, seed, tokenizer, chatTemplate: false });
        } catch (error) {
          if (error instanceof g.LengthError) break;
          throw error;
        }
        const text = `${sample.input}${sample.answerPrefix ?? ''}${s.formatGold(sample)}`;
        stream.write(`${JSON.stringify(text)}\n`);
        written++;
        chars += text.length;
      }
    }
  }
}
await new Promise((done) => stream.end(done));
process.stderr.write(`corpus: ${written} texts, ${(chars / 1e6).toFixed(1)} M characters -> ${out}\n`);
