/**
 * The genuine DCAP inputs every quote-verification case shares: the phala dcap-qvl SGX v3 and TDX
 * v4 quotes with their collateral, at the times their source verifies them (DCAP-VERIFICATION.md
 * §7.2), and the peer verifier `@phala/dcap-qvl` 0.3.9.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Collateral, parseCollateralJson } from '../../src/collateral/index.ts';

/**
 * The repository root: the nearest folder above this module with a package.json (bench/lib under
 * tsx, .bench-build/bench/lib when compiled).
 */
export const ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: no package.json above the bench');
    dir = up;
  }
  return dir;
})();

/** One genuine quote with its collateral. */
export interface QuoteInput {
  /** Short id used in the JSON (`sgx_v3`, `tdx_v4`). */
  readonly id: 'sgx_v3' | 'tdx_v4';
  /** The vector file under test/vectors/phala-dcap-qvl. */
  readonly file: string;
  /** The verification time, seconds since the epoch. */
  readonly nowSecs: number;
  readonly now: Date;
  readonly quote: Uint8Array;
  /** The same bytes as a Buffer, for the peer. */
  readonly quoteBuffer: Buffer;
  /** attestkit's collateral record (frozen). */
  readonly collateral: Collateral;
  /** The collateral JSON as the peer takes it (`QuoteCollateralV3`). */
  readonly peerCollateral: unknown;
}

function load(id: QuoteInput['id'], file: string, nowSecs: number): QuoteInput {
  const dir = join(ROOT, 'test', 'vectors', 'phala-dcap-qvl');
  const bytes = readFileSync(join(dir, file));
  const json = readFileSync(join(dir, `${file}_collateral.json`), 'utf8');
  return Object.freeze({
    id,
    file,
    nowSecs,
    now: new Date(nowSecs * 1000),
    quote: new Uint8Array(bytes),
    quoteBuffer: Buffer.from(bytes),
    collateral: parseCollateralJson(json),
    peerCollateral: JSON.parse(json) as unknown,
  });
}

/** The SGX v3 and TDX v4 genuine quotes (DCAP-VERIFICATION.md §7.2). */
export function genuineQuotes(): readonly QuoteInput[] {
  return [load('sgx_v3', 'sgx_quote', 1752919277), load('tdx_v4', 'tdx_quote', 1752919234)];
}

/** The peer's `verify` result (the fields the bench reads). */
export interface PeerReport {
  readonly status: string;
  readonly advisory_ids: readonly string[];
}

/** The peer's API as used here. */
export interface PeerModule {
  verify(quote: Buffer, collateral: unknown, nowSecs: number): PeerReport;
}

/** Loads `@phala/dcap-qvl` (CommonJS) from this repository's node_modules. */
export function loadPeer(): { readonly module: PeerModule; readonly version: string } {
  const req = createRequire(join(ROOT, 'package.json'));
  const module = req('@phala/dcap-qvl') as PeerModule;
  const pkg = JSON.parse(
    readFileSync(join(dirname(req.resolve('@phala/dcap-qvl/package.json')), 'package.json'), 'utf8'),
  ) as { version: string };
  return { module, version: pkg.version };
}
