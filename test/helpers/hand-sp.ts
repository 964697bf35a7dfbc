/**
 * A service provider computed by hand from the crypto primitives (PROTOCOL-SEED.md §4.1 steps 4 and
 * 7, §6): what the enclave tests drive an {@link Enclave} or an RA core with, independent of the
 * ServiceProvider state machine.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  aesCmac,
  aesGcmEncrypt,
  deriveRaKeys,
  type EcKeyPair,
  ecdhSharedSecretLE,
  generateEcKeyPair,
  type RaKeys,
  signSgx,
} from '../../src/crypto/index.ts';
import type { Enclave } from '../../src/enclave/index.ts';
import {
  encodeAttestationResult,
  encodeMsg2,
  encodePlatformInfoBlob,
  type Msg1,
  msg2MacData,
  msg2SignatureData,
  parseMsg1,
  parseMsg3,
  zeroPlatformInfoBlob,
} from '../../src/wire/ra.ts';

/** A fresh simulated EPID group key, PKCS#8 PEM (so the simulated enclave does not warn). */
export function groupKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/** Options of {@link handMsg2}. */
export interface HandMsg2Options {
  /** Default 1 (linkable). */
  readonly quoteType?: number;
  /** Default 16 zero bytes. */
  readonly spid?: Uint8Array;
  /** Default 1 (AES-CMAC). */
  readonly kdfId?: number;
  /** Default empty. */
  readonly sigRl?: Uint8Array;
  /** Edits the encoded msg2 in place (negative tests). */
  readonly tamper?: (bytes: Uint8Array) => void;
}

/** What the SP does in §4.1 step 4: a fresh g_b, the session keys, msg2 signed by `sp` and MAC'd. */
export function handMsg2(
  sp: EcKeyPair,
  gA: Uint8Array,
  o: HandMsg2Options = {},
): { bytes: Uint8Array; keys: RaKeys; gB: Uint8Array } {
  const pair = generateEcKeyPair();
  const keys = deriveRaKeys(ecdhSharedSecretLE(pair.privateKey, gA));
  const body = {
    gB: pair.publicKey,
    spid: o.spid ?? new Uint8Array(16),
    quoteType: o.quoteType ?? 1,
    kdfId: o.kdfId ?? 1,
    signGbGa: signSgx(sp.privateKey, msg2SignatureData(pair.publicKey, gA)),
  };
  const bytes = encodeMsg2({
    ...body,
    mac: aesCmac(keys.smk, msg2MacData(body)),
    sigRl: o.sigRl ?? new Uint8Array(0),
  });
  o.tamper?.(bytes);
  return { bytes, keys, gB: pair.publicKey };
}

/**
 * What the SP does in §4.1 step 7: the all-zero platform info blob MAC'd under MK and `secret`
 * sealed under SK (`null`: a payload that does not decrypt). `tamperMac` flips a MAC bit.
 */
export function handAttResult(keys: RaKeys, secret: Uint8Array | null, tamperMac = false): Uint8Array {
  const platformInfoBlob = zeroPlatformInfoBlob();
  const mac = aesCmac(keys.mk, encodePlatformInfoBlob(platformInfoBlob));
  if (tamperMac) mac[0]! ^= 1;
  const sealed =
    secret === null
      ? { ciphertext: new Uint8Array(2), tag: new Uint8Array(16) }
      : aesGcmEncrypt(keys.sk, new Uint8Array(12), secret);
  return encodeAttestationResult({
    platformInfoBlob,
    mac,
    payloadTag: sealed.tag,
    payload: sealed.ciphertext,
  });
}

/** The outcome of {@link runHandSession}. */
export interface HandSession {
  readonly msg1: Msg1;
  readonly quote: Uint8Array;
  readonly gB: Uint8Array;
  readonly keys: RaKeys;
  /** The secret the enclave decrypted. */
  readonly delivered: Uint8Array;
}

/** One full enclave session (msg1 → msg2 → msg3 → result → secret) driven by the hand-made SP `sp`. */
export async function runHandSession(
  enclave: Enclave,
  sp: EcKeyPair,
  secret: Uint8Array,
  msg2: HandMsg2Options = {},
): Promise<HandSession> {
  const session = await enclave.openSession();
  const msg1 = parseMsg1(await session.msg1());
  const { bytes, keys, gB } = handMsg2(sp, msg1.gA, msg2);
  const msg3 = parseMsg3(await session.processMsg2(bytes));
  await session.verifyAttestationResult(handAttResult(keys, secret));
  const delivered = await session.decryptSecret();
  await session.close();
  return { msg1, quote: msg3.quote, gB, keys, delivered };
}
