/**
 * The benchmark suite cannot rot: `npm run bench -- --quick` (each case once, tiny counts) must run
 * to the end and write a JSON report holding every case with numeric figures. No timing is
 * asserted — only that the numbers exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'attestkit-bench-smoke-'));
const out = join(dir, 'latest.json');

after(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

function isFigure(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Json;
  return (
    typeof f.unit === 'string' &&
    ['median', 'min', 'max', 'rounds'].every(
      (k) => typeof f[k] === 'number' && Number.isFinite(f[k] as number),
    )
  );
}

function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Json)[k];
  }
  return v;
}

function assertFigure(obj: unknown, path: string): void {
  assert.ok(
    isFigure(at(obj, path)),
    `${path} is a figure with numeric median/min/max/rounds: ${JSON.stringify(at(obj, path))}`,
  );
}

describe('npm run bench -- --quick', () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--quick', `--out=${out}`],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    },
  );

  test('exits 0 and prints the table', () => {
    assert.equal(run.status, 0, `bench failed:\n${run.stderr}`);
    assert.match(run.stdout, /case\s+measure\s+median/);
  });

  const report = (): Json => JSON.parse(readFileSync(out, 'utf8')) as Json;

  test('the report records the machine, Node and OpenSSL versions, the date and the mode', () => {
    const r = report();
    assert.equal(r.mode, 'quick');
    assert.ok(!Number.isNaN(Date.parse(r.date as string)));
    assert.equal(typeof at(r, 'machine.cpuModel'), 'string');
    assert.equal(typeof at(r, 'machine.logicalCores'), 'number');
    assert.equal(at(r, 'machine.node'), process.version);
    assert.equal(at(r, 'machine.openssl'), process.versions.openssl);
  });

  test('case 1: warm, cold, platform-seen-before, the peer and the ratios, for both genuine quotes', () => {
    const r = report();
    for (const q of ['sgx_v3', 'tdx_v4']) {
      const base = `cases.verify.quotes.${q}`;
      for (const p of [
        'attestkit.warm',
        'attestkit.cold',
        'attestkit.platformSeenBefore',
        'peer',
        'ratio.warm',
        'ratio.cold',
      ]) {
        assertFigure(r, `${base}.${p}`);
      }
      for (const p of ['attestkitWarm', 'attestkitCold', 'attestkitPlatformSeenBefore', 'peer'])
        assertFigure(r, `${base}.perSecond.${p}`);
      assert.equal(at(r, `${base}.status.attestkit`), at(r, `${base}.status.peer`));
    }
  });

  test('case 2: the crypto bound per quote, its components and the warm multiple', () => {
    const r = report();
    for (const q of ['sgx_v3', 'tdx_v4']) {
      const base = `cases.cryptoBound.quotes.${q}`;
      for (const p of ['total', 'boundPerSecond', 'attestkitWarm', 'warmMultipleOfBound'])
        assertFigure(r, `${base}.${p}`);
      for (const c of [
        'pckLeafSignature',
        'pckKeyImport',
        'qeReportSignature',
        'binding',
        'attestationKeyImport',
        'quoteSignature',
      ]) {
        assertFigure(r, `${base}.components.${c}`);
      }
    }
  });

  test('case 3: RA session latency, throughput at 1/8/64 and the SP crypto bound, EPID and DCAP', () => {
    const r = report();
    for (const mode of ['epid', 'dcap']) {
      const base = `cases.sessions.modes.${mode}`;
      assertFigure(r, `${base}.latencyMs.p50`);
      assertFigure(r, `${base}.latencyMs.p99`);
      const tp = at(r, `${base}.throughput`) as Json[];
      assert.deepEqual(
        tp.map((t) => t.concurrency),
        [1, 8, 64],
      );
      for (let i = 0; i < tp.length; i++) {
        assertFigure(r, `${base}.throughput.${i}.sessionsPerSecond`);
        assertFigure(r, `${base}.throughput.${i}.fractionOfBound`);
      }
      assertFigure(r, `${base}.spCryptoBound.totalUs`);
      assertFigure(r, `${base}.spCryptoBound.sessionsPerSecond`);
      for (const c of [
        'ecdhKeygenDerive',
        'ecdsaSign',
        'cmacsAndSymmetric',
        'quoteVerification',
        'tlsHandshake',
      ]) {
        assertFigure(r, `${base}.spCryptoBound.components.${c}`);
      }
    }
  });

  test('case 4: memory per in-flight RA session and per bare TLS connection, App and SP', () => {
    const r = report();
    for (const mode of ['epid', 'dcap']) {
      for (const side of ['app', 'sp']) {
        const base = `cases.memory.modes.${mode}.${side}`;
        for (const p of ['raSessionBytes', 'bareTlsBytes', 'ratio', 'firstBatch.ratio'])
          assertFigure(r, `${base}.${p}`);
      }
    }
  });
});
