// One temporary folder per test run: every test's mkdtemp(tmpdir()) and the engine's graph cache
// land inside it (TMPDIR and LONGWEAVE_ENGINE_CACHE are inherited by the test workers and by the
// CLI processes tests spawn), and it is removed when the run ends. Without it each run left about
// eighty folders in /tmp and its graphs in ~/.cache/longweave.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'longweave-test-'));
  const saved = { TMPDIR: process.env['TMPDIR'], LONGWEAVE_ENGINE_CACHE: process.env['LONGWEAVE_ENGINE_CACHE'] };
  process.env['TMPDIR'] = root;
  process.env['LONGWEAVE_ENGINE_CACHE'] = join(root, 'engine-cache');
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (process.env['LONGWEAVE_KEEP_TEST_TMP'] === '1') process.stderr.write(`test files kept in ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  };
}
