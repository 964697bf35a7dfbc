/**
 * Where the CLI gets collateral (`--collateral FILE` or `--pccs-url URL`, default Intel PCS), trust
 * anchors (`--trust-anchor PEM`) and signed attestation results (`--ear-key F`, `--ear-out F`).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { type Collateral, parseCollateralJson } from '../collateral/collateral.ts';
import { PcsClient } from '../collateral/pcs-client.ts';
import { type CollateralTarget, collateralTargetOf } from '../collateral/target.ts';
import { ConfigError, isAttestError } from '../errors.ts';
import { parseCertificate } from '../pki/cert.ts';
import { parsePckExtensions } from '../pki/pck.ts';
import type { Verdict } from '../policy/appraise.ts';
import { createEar } from '../policy/ear.ts';
import type { VerifiedEvidence } from '../verify/types.ts';
import { parseQuote } from '../wire/quote.ts';
import { readPemOrThrow, readTextOrThrow } from './io.ts';
import { packageVersion } from './version.ts';

/** Collateral for a quote. */
export type CollateralGetter = (quote: Uint8Array) => Promise<Collateral>;

/** The settings that choose the collateral source. */
export interface CollateralSettings {
  readonly collateral?: string | undefined;
  readonly pccsUrl?: string | undefined;
}

/**
 * A collateral getter: the parsed `--collateral` file (read and parsed now, so an unreadable file
 * is a usage error before anything else runs), or a PCS/PCCS client (`--pccs-url`; default: Intel
 * PCS). Both at once is a configuration error.
 */
export function collateralGetter(s: CollateralSettings): CollateralGetter {
  if (s.collateral !== undefined && s.pccsUrl !== undefined) {
    throw new ConfigError('ERR_CONFIG_INVALID', 'give either --collateral or --pccs-url, not both');
  }
  if (s.collateral !== undefined) {
    const collateral = parseCollateralJson(readTextOrThrow(s.collateral, 'collateral file'));
    return async () => collateral;
  }
  let client: PcsClient;
  try {
    client = new PcsClient(s.pccsUrl === undefined ? {} : { baseUrl: s.pccsUrl });
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_INVALID', `setting "pccsUrl": not an http(s) URL: ${s.pccsUrl}`, {
      cause,
    });
  }
  return (quote) => client.getCollateral(collateralTargetFor(quote));
}

/**
 * The collateral a quote needs ({@link collateralTargetOf}). The library names the PCK CA type
 * only for Intel's CA names; a simulated platform's CAs ("attestkit Simulated SGX PCK Platform CA")
 * are recognised here by the same suffix, so `--pccs-url` works with `pccs-mock`. Trust is not
 * decided here: verification checks the chain against the trust anchor.
 */
export function collateralTargetFor(quote: Uint8Array): CollateralTarget {
  try {
    return collateralTargetOf(quote);
  } catch (e) {
    if (!isAttestError(e) || e.code !== 'ERR_PKI_CHAIN') throw e;
    const q = parseQuote(quote, { allowTrailing: true });
    const leafPem = q.version === 2 ? undefined : q.pckCertChain?.[0];
    if (leafPem === undefined) throw e;
    const leaf = parseCertificate(leafPem);
    const cn = leaf.issuerCommonName ?? '';
    const pckCa = / PCK Platform CA$/.test(cn)
      ? 'platform'
      : / PCK Processor CA$/.test(cn)
        ? 'processor'
        : undefined;
    if (pckCa === undefined || q.version === 2) throw e;
    const ext = parsePckExtensions(leaf);
    return Object.freeze({ fmspc: ext.fmspcHex.toUpperCase(), pckCa, tee: q.teeType });
  }
}

/** `--trust-anchor PEM` as the verifier's anchors (undefined: the embedded Intel SGX Root CA). */
export function trustAnchorsOf(path: string | undefined): readonly string[] | undefined {
  return path === undefined ? undefined : [readPemOrThrow(path, 'trust anchor')];
}

/** The settings of an EAR. */
export interface EarSettings {
  readonly earKey?: string | undefined;
  readonly earOut?: string | undefined;
}

/**
 * Signs an EAR for a verdict when `--ear-key` is set (and writes it to `--ear-out`), else
 * undefined. The key file is read here and never logged.
 */
export async function maybeEar(
  s: EarSettings,
  verdict: Verdict,
  evidence: VerifiedEvidence,
  now: Date,
  nonce: string | undefined,
): Promise<string | undefined> {
  if (s.earKey === undefined) {
    if (s.earOut !== undefined) throw new ConfigError('ERR_CONFIG_INVALID', '--ear-out needs --ear-key');
    return undefined;
  }
  const key = readPemOrThrow(s.earKey, 'EAR signing key');
  let token: string;
  try {
    token = await createEar(verdict, evidence, {
      signingKey: key,
      verifierId: { developer: 'attestkit', build: `attestkit ${packageVersion()}` },
      now,
      ...(nonce === undefined ? {} : { nonce }),
    });
  } catch (cause) {
    if (cause instanceof RangeError || cause instanceof TypeError) {
      throw new ConfigError('ERR_CONFIG_INVALID', `cannot sign the EAR: ${cause.message}`, {
        cause,
        hint: 'the EAR key must be a PEM private key (EC P-256/P-384, Ed25519 or RSA); the nonce 8..64 bytes of hex',
      });
    }
    throw cause;
  }
  if (s.earOut !== undefined) {
    try {
      writeFileSync(s.earOut, `${token}\n`);
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_FILE', `cannot write the EAR to ${s.earOut}`, { cause });
    }
  }
  return token;
}
