#!/usr/bin/env node
// Training data of the tiny reference model, from the package's own generators.
//
// Every sample is what the engine backend feeds the model and what it should answer: the prompt
// rendered through the tokenizer's chat template exactly as runner/engine/backend.ts does
// (renderChat(messages) + answerPrefix, encoded alone), then the gold answer in the task's own
// format (scorers' formatGold, encoded alone) and <|im_end|>. Prompts are exact-length (the
// generators count under the same tokenizer and template).
//
// Worker processes (--workers, default one per core) each write shards of --shard samples,
// DIR/shard-wJJ-rRRRRR.bin (uint16 token ids, concatenated) with an index DIR/shard-...json
// (per sample: offset, tokens, answer start, target length, mix entry), the .json written last
// (by rename) so a reader sees only complete shards. Workers run until --samples in all are
// written or they are killed: the trainer consumes shards while they are written. Each worker's
// first two shards hold short prompts only (the trainer's curriculum starts there); later shards
// mix all lengths. Suite seeds are strings ("tiny-train-<seed>-w<j>"), so they never equal the
// numeric seeds of evaluation suites; --heldout writes the trainer's held-out set instead, from
// the seed "tiny-heldout".
//
//   node scripts/train-tiny/make-data.mjs --out DIR [--dist dist] [--tokenizer models/tiny]
//        [--seed 1] [--workers N] [--samples 200000] [--shard 64] [--max-length 8192]
//        [--task-weight TASK=FACTOR[,TASK=FACTOR...]]   (scales every entry of those tasks in the mix)
//   node scripts/train-tiny/make-data.mjs --heldout --out DIR [--dist dist] [--tokenizer models/tiny]
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MIX as BASE_MIX, parseFlags, weightedMix } from './tasks.mjs';

const flags = parseFlags(process.argv.slice(2));
/** The mix with --task-weight's factors applied (e.g. `story/retrieval=2.5,ruler/vt=0.5`). */
const MIX = weightedMix(BASE_MIX, flags['task-weight']);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const out = resolve(flags.out ?? 'data/tiny/train');
const dist = resolve(flags.dist ?? join(root, 'dist'));
const tokenizerDir = resolve(flags.tokenizer ?? join(root, 'models/tiny'));
const seed = String(flags.seed ?? '1');
const shardSize = Number(flags.shard ?? 64);
const maxLength = Number(flags['max-length'] ?? 8192);

/** Length ranges of the mix: [min, max] tokens and weight (after each worker's first two shards). */
const RANGES = [
  { min: 256, max: 1024, weight: 0.15 },
  { min: 1024, max: 2048, weight: 0.2 },
  { min: 2048, max: 4096, weight: 0.45 },
  { min: 4096, max: 8192, weight: 0.2 },
].filter((r) => r.min < maxLength).map((r) => ({ ...r, max: Math.min(r.max, maxLength) }));

/** The held-out set: the paper's default settings (the accuracy targets) and a few variants. */
const HELDOUT = [
  { task: 'ruler/niah', params: {}, length: 1024 },
  { task: 'ruler/niah', params: {}, length: 4096 },
  { task: 'ruler/niah', params: { keyType: 'word', valueType: 'number', haystack: 'prose', keys: 1, queries: 1, format: 'ruler' }, length: 4096 },
  { task: 'ruler/vt', params: {}, length: 4096 },
  { task: 'story/retrieval', params: { questions: 4 }, length: 2048 },
  { task: 'story/retrieval', params: {}, length: 4096 },
  { task: 'story/multihop', params: {}, length: 4096 },
  { task: 'qa/synthetic', params: {}, length: 4096 },
];

async function load() {
  const g = await import(pathToFileURL(join(dist, 'generators/index.js')).href);
  const s = await import(pathToFileURL(join(dist, 'scorers/index.js')).href);
  const tokenizer = g.loadHfTokenizer(tokenizerDir, { id: 'builtin:tiny' });
  if (!tokenizer.chatTemplate) throw new Error(`${tokenizerDir} has no chat template`);
  const imEnd = tokenizer.encode('<|im_end|>');
  if (imEnd.length !== 1) throw new Error('<|im_end|> is not one token');
  /** One sample as token ids, rendered as the engine backend renders it. */
  const encodeSample = (sample) => {
    let text = g.renderChat(tokenizer.chatTemplate, sample.messages.length ? sample.messages : [{ role: 'user', content: sample.input }]);
    if (sample.answerPrefix) text += sample.answerPrefix;
    const prompt = tokenizer.encode(text);
    const gold = s.formatGold(sample);
    const answer = [...tokenizer.encode(gold), imEnd[0]];
    return { prompt, answer, gold };
  };
  return { g, tokenizer, encodeSample };
}

/** Writes one shard: ids as uint16 and the index, the index last (atomically, by rename). */
function writeShard(name, records) {
  const total = records.reduce((n, r) => n + r.ids.length, 0);
  const ids = new Uint16Array(total);
  const index = [];
  let offset = 0;
  for (const r of records) {
    ids.set(r.ids, offset);
    const { ids: _ids, ...meta } = r;
    index.push({ offset, ...meta });
    offset += r.ids.length;
  }
  writeFileSync(join(out, `${name}.bin`), Buffer.from(ids.buffer));
  writeFileSync(join(out, `${name}.json.tmp`), JSON.stringify({ samples: index }));
  renameSync(join(out, `${name}.json.tmp`), join(out, `${name}.json`));
}

async function worker(j, quota) {
  const { g, tokenizer, encodeSample } = await load();
  const rng = new g.Random(`tiny-data/${seed}/w${j}`);
  const total = MIX.reduce((n, e) => n + e.weight, 0);
  const pickEntry = () => {
    let x = rng.next() * total;
    for (let i = 0; i < MIX.length; i++) if ((x -= MIX[i].weight) < 0) return i;
    return MIX.length - 1;
  };
  const rangeTotal = RANGES.reduce((n, r) => n + r.weight, 0);
  const pickLength = (round) => {
    let range = RANGES[0];
    if (round >= 2) {
      let x = rng.next() * rangeTotal;
      for (const r of RANGES) if ((x -= r.weight) < 0) { range = r; break; }
    }
    // Log-uniform inside the range.
    return Math.round(Math.exp(Math.log(range.min) + rng.next() * (Math.log(range.max) - Math.log(range.min))));
  };
  let index = 0;
  for (let round = 0; index < quota; round++) {
    const records = [];
    while (records.length < shardSize && index < quota) {
      const length = pickLength(round);
      let sample;
      let entry;
      for (let attempt = 0; attempt < 20 && !sample; attempt++) {
        entry = pickEntry();
        try {
          sample = g.generateSample({ task: MIX[entry].task, params: MIX[entry].params, length, index, seed: `tiny-train-${seed}-w${j}`, tokenizer });
        } catch (error) {
          if (!(error instanceof g.LengthError)) throw error;
        }
      }
      index++;
      if (!sample) continue;
      const { prompt, answer } = encodeSample(sample);
      records.push({ ids: [...prompt, ...answer], tokens: prompt.length + answer.length, answerStart: prompt.length, length, entry });
    }
    if (records.length) writeShard(`shard-w${String(j).padStart(2, '0')}-r${String(round).padStart(6, '0')}`, records);
  }
}

async function heldout() {
  const { g, tokenizer, encodeSample } = await load();
  const perEntry = Number(flags.samples ?? 8);
  const records = [];
  for (const [e, h] of HELDOUT.entries()) {
    for (let index = 0; index < perEntry; index++) {
      const sample = g.generateSample({ task: h.task, params: h.params, length: h.length, index, seed: 'tiny-heldout', tokenizer });
      const { prompt, answer, gold } = encodeSample(sample);
      records.push({ ids: [...prompt, ...answer], tokens: prompt.length + answer.length, answerStart: prompt.length, length: h.length, entry: e, task: h.task, params: h.params, gold, id: sample.id });
    }
  }
  writeShard('heldout', records);
  process.stderr.write(`make-data: ${records.length} held-out samples -> ${out}/heldout.*\n`);
}

mkdirSync(out, { recursive: true });
if (flags.heldout) {
  await heldout();
} else if (flags.worker !== undefined) {
  // A worker stops when its parent goes (killed when the trainer is done).
  process.on('disconnect', () => process.exit(0));
  await worker(Number(flags.worker), Number(flags.quota));
  process.exit(0);
} else {
  const workers = Number(flags.workers ?? availableParallelism());
  const samples = Number(flags.samples ?? 200000);
  writeFileSync(join(out, 'make-data.json'), JSON.stringify({ seed, workers, samples, shardSize, maxLength, ranges: RANGES, mix: MIX, tokenizer: tokenizerDir }, null, 2));
  const started = performance.now();
  const children = [];
  const procs = [];
  for (let j = 0; j < workers; j++) {
    const quota = Math.floor(samples / workers) + (j < samples % workers ? 1 : 0);
    const argv = [...process.argv.slice(2).filter((a, i, all) => a !== '--workers' && all[i - 1] !== '--workers'), '--worker', String(j), '--quota', String(quota)];
    children.push(new Promise((done, fail) => {
      const child = fork(fileURLToPath(import.meta.url), argv, { stdio: 'inherit' });
      procs.push(child);
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`worker ${j} exited with ${code}`))));
    }));
  }
  const stop = () => {
    for (const child of procs) child.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await Promise.all(children);
  process.stderr.write(`make-data: ${samples} samples by ${workers} workers in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${out}\n`);
}
