/**
 * Caches for DCAP verification, keyed by content (SHA-256 of the signed text, its signature and
 * its issuer chain, plus the trust anchors), so signature and chain work on collateral is done once
 * per distinct document. Time checks are never cached: they run on every call.
 *
 * Parsed CA and root certificates, the signatures of CA certificates and verified CRL signatures
 * are cached by `pki/` itself (by content). Nothing keyed on the quote, its PCK leaf or its QE report
 * is remembered unless {@link VerifierCacheOptions.cachePlatform} is set: by default each call parses
 * the PCK leaf, imports its key and checks its signature, the QE report signature, the binding and
 * the quote signature (DESIGN.md "Performance targets", "warm").
 *
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { QeIdentity, TcbInfo } from '../collateral/index.ts';
import type { Certificate } from '../pki/cert.ts';
import type { Crl } from '../pki/crl.ts';

/** The CRLs of a collateral record, parsed (absent when the collateral has none). */
export interface ParsedCrls {
  readonly rootCaCrl: Crl | undefined;
  readonly pckCrl: Crl | undefined;
}

/** A TCB info or QE identity whose issuer chain and signature verified (time not included). */
export interface VerifiedSignedDocument<T> {
  /** The parsed document. */
  readonly document: T;
  /** The issuer chain as verified: signing certificate first, trust anchor last. */
  readonly chain: readonly Certificate[];
}

/** Options of {@link VerifierCache}. */
export interface VerifierCacheOptions {
  /** The most entries per map (default 256); the oldest goes first. */
  readonly maxEntries?: number;
  /**
   * Also remember, per platform, the parsed PCK leaf (in the pki parse cache), that the PCK CA signed
   * it (keyed on the SHA-256 of the leaf and of the CA key), that a PCK leaf signed a given QE report
   * (keyed on the SHA-256 of leaf ‖ QE report ‖ QE report signature), and the imported attestation
   * keys. Off by default: each call then parses the PCK leaf and verifies the PCK leaf and QE report
   * signatures. DESIGN.md calls this "platform seen before".
   */
  readonly cachePlatform?: boolean;
}

/** A bounded least-recently-used map. */
export class LruMap<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;
  /** The most recently used key (the last in `#map`'s order), if known. */
  #last: string | undefined;
  /** @param max the most entries kept. */
  constructor(max: number) {
    this.#max = max;
  }
  /** The value for `key`, marking it recently used. */
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    // The most recent key is already last: no need to move it (the usual warm hit).
    if (v !== undefined && key !== this.#last) {
      this.#map.delete(key);
      this.#map.set(key, v);
      this.#last = key;
    }
    return v;
  }
  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(key, value);
    this.#last = key;
  }
  /** Drops every entry. */
  clear(): void {
    this.#map.clear();
    this.#last = undefined;
  }
  /** The number of entries. */
  get size(): number {
    return this.#map.size;
  }
}

/**
 * The verifier's caches. Pass one in `VerifyQuoteOptions.cache` to control its lifetime; by default
 * a process-wide instance ({@link DEFAULT_VERIFIER_CACHE}) is used.
 */
export class VerifierCache {
  /** Verified TCB infos by content key. */
  readonly tcbInfo: LruMap<VerifiedSignedDocument<TcbInfo>>;
  /** Verified QE identities by content key. */
  readonly qeIdentity: LruMap<VerifiedSignedDocument<QeIdentity>>;
  /** Opt-in: PCK leaf signatures and QE report signatures already verified. */
  readonly platform: LruMap<true> | undefined;
  /** Opt-in: imported attestation keys by their 64 bytes (hex). */
  readonly attestationKeys: LruMap<KeyObject> | undefined;
  /** Per collateral object: its cache keys under one anchor set, so repeated calls skip hashing. */
  readonly collateralKeys: WeakMap<
    object,
    { readonly anchorsKey: string; readonly tcbInfo: string; readonly qeIdentity: string }
  > = new WeakMap();
  /** Per collateral object: its parsed CRLs. */
  readonly collateralCrls: WeakMap<object, ParsedCrls> = new WeakMap();

  constructor(options: VerifierCacheOptions = {}) {
    const max = options.maxEntries ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.tcbInfo = new LruMap(max);
    this.qeIdentity = new LruMap(max);
    this.platform = options.cachePlatform === true ? new LruMap(max * 16) : undefined;
    this.attestationKeys = options.cachePlatform === true ? new LruMap(max * 16) : undefined;
  }

  /** Drops every entry. */
  clear(): void {
    this.tcbInfo.clear();
    this.qeIdentity.clear();
    this.platform?.clear();
    this.attestationKeys?.clear();
  }
}

/** The process-wide cache used when `VerifyQuoteOptions.cache` is not given (platform cache off). */
export const DEFAULT_VERIFIER_CACHE: VerifierCache = new VerifierCache();
