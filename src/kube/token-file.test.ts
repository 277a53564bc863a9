import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileToken } from './token-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileToken', () => {
  it('re-reads a rotated token once the cached copy is a minute old', async () => {
    const path = join(dir, 'rotating');
    writeFileSync(path, 'one\n');
    let now = 0;
    const token = new FileToken(path, { now: () => now });
    expect(await token.get()).toBe('one');
    writeFileSync(path, 'two');
    now = 59_000;
    expect(await token.get()).toBe('one');
    now = 60_000;
    expect(await token.get()).toBe('two');
  });

  it('keeps the last good token when a re-read fails', async () => {
    const path = join(dir, 'vanishing');
    writeFileSync(path, 'kept');
    let now = 0;
    const token = new FileToken(path, { now: () => now });
    expect(await token.get()).toBe('kept');
    rmSync(path);
    now = 120_000;
    expect(await token.get()).toBe('kept');
  });

  it('fails with the path when there never was a token', async () => {
    await expect(new FileToken(join(dir, 'missing')).get()).rejects.toThrow(
      `cannot read the token file ${join(dir, 'missing')}`,
    );
    writeFileSync(join(dir, 'empty'), ' \n');
    await expect(new FileToken(join(dir, 'empty')).get()).rejects.toThrow(/the file is empty/);
  });
});
