// The frontier suite and its pinned release: the recipe is valid and the paper's nine tasks; the
// release recipe is derived from it; regenerating the release gives byte-identical files.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite, datasetsDir } from '../../generators/suite.js';
import { parseLengths } from '../../generators/core/length.js';
import { loadTokenizer } from '../../generators/tokenizers/index.js';
import { planJobs, writeDataset, type Manifest } from '../../cli/dataset.js';
import { SOURCE_HELP } from '../../generators/qa/source.js';

const RELEASE = join(datasetsDir(), 'releases', 'frontier-mini');
const quiet = { start: () => undefined, tick: () => undefined, log: () => undefined, stop: () => undefined };

describe('frontier suite', () => {
  it("holds the paper's nine tasks at 16k-128k, 100 samples, qwen3", () => {
    const suite = loadSuite('frontier');
    expect(suite.tasks.map((t) => t.task).sort()).toEqual(
      ['qa/quality', 'qa/squad', 'qa/toefl', 'ruler/cwe', 'ruler/niah', 'ruler/vt', 'story/filtering', 'story/multihop', 'story/retrieval'],
    );
    expect(parseLengths(suite.lengths!)).toEqual([16384, 32768, 65536, 131072]);
    expect(suite.samples).toBe(100);
    expect(suite.tokenizer).toBe('qwen3');
    // Tasks that need the user's files come first, so a missing file stops the run at once.
    expect(suite.tasks.slice(0, 3).map((t) => t.task)).toEqual(Object.keys(SOURCE_HELP));
    expect(() => planJobs(suite.tasks, [16384], 100)).not.toThrow();
  });

  it('the release recipe is the suite without the user-data tasks, at 4k and 8k, 3 samples', () => {
    const suite = loadSuite('frontier');
    const release = loadSuite(join(RELEASE, 'recipe.json'));
    expect(release.tasks).toEqual(suite.tasks.filter((t) => !(t.task in SOURCE_HELP)));
    expect({ seed: release.seed, tokenizer: release.tokenizer }).toEqual({ seed: suite.seed, tokenizer: suite.tokenizer });
    expect(parseLengths(release.lengths!)).toEqual([4096, 8192]);
    expect(release.samples).toBe(3);
  });

  it('regenerates the pinned release byte for byte (sha256 per file)', async () => {
    const manifest = JSON.parse(readFileSync(join(RELEASE, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of manifest.files) {
      const bytes = readFileSync(join(RELEASE, f.path));
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
    }
    const release = loadSuite(join(RELEASE, 'recipe.json'));
    const out = mkdtempSync(join(tmpdir(), 'longweave-release-'));
    try {
      const tokenizer = loadTokenizer(release.tokenizer!);
      const fresh = await writeDataset(out, { suite: release.name, seed: release.seed!, tokenizer, chatTemplate: true, jobs: planJobs(release.tasks, parseLengths(release.lengths!), release.samples!) }, quiet);
      expect(fresh.files.map((f) => [f.path, f.sha256, f.bytes])).toEqual(manifest.files.map((f) => [f.path, f.sha256, f.bytes]));
      expect(fresh.versions.tasks).toEqual(manifest.versions.tasks);
      const provenance = (m: Manifest): unknown[] => [m.tokenizer, m.tokenizerSha256, m.chatTemplate, m.chatTemplateSha256, m.templateKwargs];
      expect(provenance(fresh)).toEqual(provenance(manifest));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
