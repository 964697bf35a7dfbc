/**
 * docs/errors.md documents every code in ERROR_CODES, with the right stage, and nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map<string, string[]>();
for (const line of doc.split('\n')) {
  const m = /^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
  if (m)
    rows.set(
      m[1]!,
      m[2]!.split('|').map((c) => c.trim()),
    );
}

test('every error code is documented in docs/errors.md', () => {
  const missing = Object.keys(ERROR_CODES).filter((c) => !rows.has(c));
  assert.deepEqual(missing, []);
});

test('docs/errors.md documents no code that does not exist', () => {
  const stale = [...rows.keys()].filter((c) => !(c in ERROR_CODES));
  assert.deepEqual(stale, []);
});

test('each documented code has a meaning, the right stage and a remedy', () => {
  for (const [code, cells] of rows) {
    assert.equal(cells.length, 3, `${code}: expected | Meaning | Stage | How to fix |`);
    const [meaning, stage, fix] = cells as [string, string, string];
    assert.ok(meaning.length > 5, `${code}: meaning`);
    assert.equal(stage, ERROR_CODES[code as keyof typeof ERROR_CODES].stage, `${code}: stage`);
    assert.ok(fix.length > 5, `${code}: how to fix`);
  }
});
