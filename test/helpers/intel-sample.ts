/**
 * Intel's sample RA messages (sample_messages.h @ sgx_1.8, via PROTOCOL-SEED.md App. A and §7) from
 * test/vectors/intel-sample/sample-messages.json, typed, for every test that uses them.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/wire/hex.ts';

/** The string fields of sample set 1. */
export type Sample1Key =
  | 'msg1'
  | 'msg2ResponseHeader'
  | 'msg2'
  | 'msg3'
  | 'attestationResult'
  | 'spPrivateKeyLE'
  | 'spPrivateKeyBE'
  | 'spPublicKeyLE'
  | 'ephemeralScalarBE'
  | 'gB'
  | 'spid'
  | 'sharedSecretLE'
  | 'kdk'
  | 'smk'
  | 'sk'
  | 'mk'
  | 'vk'
  | 'msg2Mac'
  | 'signGbGaSBE'
  | 'msg3Mac'
  | 'reportData'
  | 'resultMac'
  | 'reportKeyPrivateLE'
  | 'reportKeyPublicLE';

/** An AES-128-GCM known answer (hex). */
export interface GcmVector {
  readonly plaintext: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/** The fields both sample sets have: the key derivation and GCM known answers (hex). */
export interface SampleKeySet {
  readonly sharedSecretLE: string;
  readonly kdk: string;
  readonly smk: string;
  readonly sk: string;
  readonly mk: string;
  readonly vk: string;
  readonly gcmIntel: GcmVector;
  readonly gcmSeed: GcmVector;
}

/** Sample set 1: a whole session (hex strings). */
export type Sample1 = Readonly<Record<Sample1Key, string>> &
  SampleKeySet & { readonly quote: { readonly mrEnclave: string; readonly mrSigner: string } };

/** Sample set 2: the key derivation of another g_a. */
export type Sample2 = SampleKeySet & { readonly gAx: string };

const FILE = new URL('../vectors/intel-sample/sample-messages.json', import.meta.url);

/** Both sample sets. */
export const SAMPLES: { readonly sample1: Sample1; readonly sample2: Sample2 } = JSON.parse(
  readFileSync(FILE, 'utf8'),
) as { sample1: Sample1; sample2: Sample2 };

/** Sample set 1. */
export const SAMPLE1: Sample1 = SAMPLES.sample1;

/** The bytes of a sample-1 hex field. */
export function sample1Bytes(key: Sample1Key): Uint8Array {
  return fromHex(SAMPLE1[key]);
}
