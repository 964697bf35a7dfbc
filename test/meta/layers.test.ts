/**
 * The import-boundary check: a layer may import only the layers DESIGN.md's table lets it
 * (directly or through the layers it depends on). `import type` from an injected interface's
 * layer is allowed where DESIGN.md says so (protocol/).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const DEPENDS: Record<string, readonly string[]> = {
  errors: [],
  wire: ['errors'],
  crypto: ['wire'],
  pki: ['crypto'],
  collateral: ['pki'],
  verify: ['pki', 'collateral'],
  policy: ['verify'],
  sim: ['wire', 'crypto', 'pki', 'collateral'],
  enclave: ['crypto', 'wire', 'sim'],
  protocol: ['wire', 'crypto'],
  transport: ['wire', 'protocol'],
  service: [
    'transport',
    'enclave',
    'sim',
    'policy',
    'verify',
    'collateral',
    'pki',
    'crypto',
    'wire',
    'protocol',
  ],
  cli: [
    'service',
    'transport',
    'enclave',
    'sim',
    'policy',
    'verify',
    'collateral',
    'pki',
    'crypto',
    'wire',
    'protocol',
  ],
  index: [
    'transport',
    'enclave',
    'sim',
    'policy',
    'verify',
    'collateral',
    'pki',
    'crypto',
    'wire',
    'protocol',
  ],
};
/** Layers whose interfaces a layer may take with `import type` only (injected dependencies). */
const TYPE_ONLY: Record<string, readonly string[]> = {
  protocol: ['verify', 'policy', 'enclave', 'collateral', 'pki'],
  transport: ['verify', 'policy', 'enclave', 'collateral', 'pki'],
  enclave: ['verify', 'collateral', 'pki'],
};

function closure(layer: string, seen = new Set<string>()): Set<string> {
  for (const d of DEPENDS[layer] ?? []) {
    if (!seen.has(d)) {
      seen.add(d);
      closure(d, seen);
    }
  }
  seen.add('errors');
  return seen;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  if (rel.length === 1) return rel[0]!.replace(/\.ts$/, '');
  return rel[0]!;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const IMPORT_RE = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

test('every layer imports only the layers DESIGN.md allows', () => {
  const violations: string[] = [];
  let files = 0;
  for (const file of walk(SRC)) {
    files++;
    const from = layerOf(file);
    assert.ok(from in DEPENDS, `unknown layer for ${relative(SRC, file)}: ${from}`);
    const allowed = closure(from);
    allowed.add(from);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[3]!;
      const typeOnly = m[2] !== undefined;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC)) {
        violations.push(`${relative(SRC, file)} imports outside src: ${spec}`);
        continue;
      }
      const to = layerOf(target);
      if (allowed.has(to)) continue;
      if (typeOnly && (TYPE_ONLY[from] ?? []).includes(to)) continue;
      violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})${typeOnly ? ' [type]' : ''}`);
    }
  }
  assert.ok(files > 0);
  assert.deepEqual(violations, []);
});

test('the boundary check itself catches a forbidden import', () => {
  const allowed = closure('wire');
  assert.equal(allowed.has('crypto'), false);
  assert.equal(closure('policy').has('wire'), true);
  assert.equal(closure('protocol').has('verify'), false);
});
