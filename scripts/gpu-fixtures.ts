// Writes the tiny fixture checkpoints (bit-identical to the ones the tests regenerate) into a
// folder, for `scripts/gpu-run.sh BUNDLE_DIR fixtures`, which computes transformers' logits for
// test/fixtures/engine/hf-logits.json on a host with PyTorch.
//
//   npx tsx scripts/gpu-fixtures.ts .bundle/fixtures
import { mkdirSync } from 'node:fs';
import { FIXTURE_FAMILIES, writeFixtureCheckpoint } from '../runner/engine/checkpoint/synthetic.js';

const root = process.argv[2] ?? '.bundle/fixtures';
mkdirSync(root, { recursive: true });
for (const family of FIXTURE_FAMILIES) console.log(writeFixtureCheckpoint(family, root));
