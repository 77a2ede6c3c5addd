// Errors as the command line prints them: whole (several lines when yargs or the input check list
// several), flags named as flags, numbers quoted as typed, a missing recipe called missing, a full
// disk and a refused API key turned into what to do next.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, stoppedError } from '../../cli/run.js';
import { DiskFullError } from '../../runner/files/disk-full.js';
import { AppendLog } from '../../runner/jsonl/append-log.js';
import { runCli, writeDataset } from './fixtures.js';
import { startFaultServer, type FaultServer } from './fault-server.js';


let server: FaultServer;
let refusing: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
  refusing = await startFaultServer({ plan: () => '401' });
});
afterAll(async () => {
  await server.close();
  await refusing.close();
});

describe('command-line errors', () => {
  it('keep their detail and name flags as flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-cli-errors-'));
    const file = writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 2)['ruler/niah@1024']!;
    const cases: [string[], string][] = [
      [['run', '--backend', 'foo', '--model', 'm', '--samples', file], 'longweave: Invalid values:\n  Argument: backend, Given: "foo", Choices: "openai", "oracle", "replay", "engine"\n(see `longweave run --help`)\n'],
      [
        ['run', '--backend', 'openai', '--base-url', server.url, '--model', 'm', '--samples', file, '--api-key-env', 'LW_TEST_UNSET_KEY', '--timeout-ms', '0'],
        'longweave: --timeout-ms must be a positive integer, got "0".\n',
      ],
      [['run', '--backend', 'openai', '--base-url', server.url, '--model', 'm', '--samples', file, '--api-key-env', 'LW_TEST_UNSET_KEY'], 'longweave: --api-key-env: names the environment variable LW_TEST_UNSET_KEY, which is not set\n'],
      [['run', '--backend', 'oracle', '--model', 'm', '--samples', file, '--limit', 'abc'], 'longweave: --limit must be a positive integer, got "abc".\n'],
      [['run', join(dir, 'sweep.json')], `longweave: ${join(dir, 'sweep.json')}: does not exist\n`],
      [['generate', '--task', 'ruler/niah', '--samples', 'abc', '--out', join(dir, 'g')], 'longweave: --samples must be a positive integer, got "abc".\n'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      expect(r.stderr, cases[i]![0].join(' ')).toBe(cases[i]![1]);
      expect(r.status).toBe(1);
    });
    expect(server.requests).toBe(0);
  }, 60_000);

  it('name the entry of a suite file, and leave no empty output folder behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-cli-errors-'));
    const suite = join(dir, 'suite.json');
    writeFileSync(suite, JSON.stringify({ name: 's', lengths: ['1k', '2k', 'abc'], tasks: [{ task: 'ruler/niah' }] }));
    const [bad, short] = await Promise.all([
      runCli(['generate', '--suite', suite, '--out', join(dir, 'a')]),
      runCli(['generate', '--task', 'ruler/niah', '--lengths', '100', '--samples', '1', '--out', join(dir, 'b')]),
    ]);
    expect(bad.stderr).toBe(`longweave: ${suite}: /lengths/2 Invalid length "abc": use a positive integer or a number followed by k or m (4k = 4096, 1m = 1048576).\n`);
    expect(short.stderr).toMatch(/^longweave: Length 100 is too short for ruler\/niah/);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  }, 60_000);

  it('say what to do when the disk is full', () => {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    const log = new AppendLog('/dev/full');
    const error = (() => {
      try {
        log.append({ id: 'a' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toBe('disk full at /dev/full; free space');
    // A log that failed writes nothing more: no later line can continue a torn one.
    expect(() => log.append({ id: 'b' })).toThrow(error as Error);
    expect((stoppedError(error, 'runs/x') as Error).message).toBe('disk full at /dev/full; free space and continue with `longweave run --resume runs/x` (everything answered so far is kept)');
  });

  it('stop at a refused API key and say how to go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-cli-errors-'));
    const file = writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 20)['ruler/niah@1024']!;
    const run = join(dir, 'run');
    const r = await runCli(['run', '--backend', 'openai', '--base-url', refusing.url, '--model', 'm', '--samples', file, '--out', run, '--api-key-env', 'LW_TEST_KEY', '--concurrency', '1', '--no-progress'], { LW_TEST_KEY: 'wrong' });
    expect(r.stderr).toBe(
      `longweave: HTTP 401 from ${refusing.url}: {"error":"invalid api key"}; check the API key in LW_TEST_KEY\n` +
        `The run stopped; nothing was recorded for the samples in flight. Fix this and continue with \`longweave run --resume ${run}\`.\n`,
    );
    expect(r.status).toBe(1);
    expect(refusing.requests).toBe(1);
  }, 60_000);

  it('tell failures --resume can fix from those it cannot, and that they are out of the means', () => {
    const base = { model: 'm', method: 'dense/dense', compression: 1, task: 'ruler/niah', length: 1024 };
    expect(
      describeFailures(
        [
          { ...base, id: 'a', error: 'failed after 7 attempts: HTTP 503', retryable: true },
          { ...base, id: 'b', error: 'failed (not retryable): HTTP 400 from x: prompt too long', retryable: false },
        ],
        'runs/x',
      ),
    ).toEqual([
      '1 sample failed after the retry budget: a (m, dense/dense C=1): failed after 7 attempts: HTTP 503; ask again with `longweave run --resume runs/x`',
      "1 sample failed for a reason asking again can't fix: b (m, dense/dense C=1): failed (not retryable): HTTP 400 from x: prompt too long; fix the cause (request, model or samples) and rerun",
      'failed samples are left out of the means (n counts answered samples only); `longweave report runs/x --failed-as-zero` scores them 0',
    ]);
  });
});
