import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendLog, repairTail } from '../../runner/jsonl/append-log.js';
import { JsonlError, readJsonl, readLines } from '../../runner/jsonl/read-lines.js';
import { countLines } from '../../runner/dataset.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lw-log-'));

describe('append-only JSON Lines', () => {
  it('appends one complete line per record', async () => {
    const file = join(tmp(), 'p.jsonl');
    const log = new AppendLog(file, 0);
    log.append({ id: 'a', output: 'x' });
    log.append({ id: 'b', output: 'y\nz' });
    log.close();
    expect(readFileSync(file, 'utf8')).toBe('{"id":"a","output":"x"}\n{"id":"b","output":"y\\nz"}\n');
    const values: unknown[] = [];
    for await (const { value, line } of readJsonl(file)) values.push([line, value]);
    expect(values).toEqual([
      [1, { id: 'a', output: 'x' }],
      [2, { id: 'b', output: 'y\nz' }],
    ]);
  });

  it('discards a torn last line before appending again', () => {
    const file = join(tmp(), 'p.jsonl');
    writeFileSync(file, '{"id":"a"}\n{"id":"b","outp');
    const log = new AppendLog(file, 0);
    log.append({ id: 'c' });
    log.close();
    expect(readFileSync(file, 'utf8')).toBe('{"id":"a"}\n{"id":"c"}\n');
  });

  it('reports what it cut, and leaves whole files and missing files alone', () => {
    const dir = tmp();
    const file = join(dir, 'p.jsonl');
    writeFileSync(file, '{"id":"a"}\n');
    expect(repairTail(file)).toEqual({ discardedBytes: 0, fragment: '' });
    appendFileSync(file, '{"id":');
    expect(repairTail(file)).toEqual({ discardedBytes: 6, fragment: '{"id":' });
    expect(readFileSync(file, 'utf8')).toBe('{"id":"a"}\n');
    writeFileSync(file, 'no newline at all');
    expect(repairTail(file).discardedBytes).toBe(17);
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(repairTail(join(dir, 'missing.jsonl'))).toEqual({ discardedBytes: 0, fragment: '' });
  });

  it('finds the last newline across chunk boundaries of a long torn line', () => {
    const file = join(tmp(), 'p.jsonl');
    writeFileSync(file, `{"id":"a"}\n${'x'.repeat(200_000)}`);
    expect(repairTail(file).discardedBytes).toBe(200_000);
    expect(readFileSync(file, 'utf8')).toBe('{"id":"a"}\n');
  });

  it('splits lines across chunk boundaries, with CRLF and multi-byte characters', async () => {
    const file = join(tmp(), 'long.jsonl');
    const long = 'é'.repeat(1_500_000); // 3 MB: spans several 1 MiB chunks, with 2-byte characters cut at chunk edges
    writeFileSync(file, `a\r\n${long}\n\nlast`);
    const lines: string[] = [];
    for await (const line of readLines(file)) lines.push(line);
    expect(lines.map((l) => l.length)).toEqual([1, 1_500_000, 0, 4]);
    expect(lines[1]).toBe(long);
    expect(lines[3]).toBe('last');
    expect(countLines(file)).toBe(4);
    writeFileSync(file, 'x\ny\n');
    expect(countLines(file)).toBe(2);
  });

  it('names the file and line of a line that is not JSON', async () => {
    const file = join(tmp(), 'bad.jsonl');
    writeFileSync(file, '{"id":"a"}\n\n{oops}\n');
    const read = async (): Promise<void> => {
      for await (const _ of readJsonl(file)) void _;
    };
    await expect(read()).rejects.toThrow(JsonlError);
    await expect(read()).rejects.toThrow(`${file}:3: invalid JSON`);
  });
});
