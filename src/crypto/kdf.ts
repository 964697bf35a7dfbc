/**
 * The SGX remote-attestation key derivation, `kdf_id = 1` (PROTOCOL-SEED.md §6.2), and the
 * report_data binding of msg3 (§6.4).
 *
 * @module
 */
import { CryptoError } from '../errors.ts';
import { concatBytes } from '../wire/hex.ts';
import { aesCmac } from './cmac.ts';
import { sha256 } from './hash.ts';

/** Size of `sgx_ec256_dh_shared_t`, 32 bytes. */
export const SHARED_SECRET_SIZE = 32;
/** Size of `sgx_report_data_t`, 64 bytes. */
export const REPORT_DATA_SIZE = 64;

/** The keys of one RA session, each 16 bytes. */
export interface RaKeys {
  /** Key derivation key: AES-CMAC(0^16, shared_LE). */
  readonly kdk: Uint8Array;
  /** Session MAC key: msg2 and msg3 MACs. */
  readonly smk: Uint8Array;
  /** Session key: AES-GCM of the attestation-result payload. */
  readonly sk: Uint8Array;
  /** MAC key: CMAC of the attestation result's platform info blob. */
  readonly mk: Uint8Array;
  /** Verification key: bound into report_data. */
  readonly vk: Uint8Array;
}

const KDK_KEY = new Uint8Array(16);

/** §6.2: `0x01 ‖ label ‖ 0x00 ‖ 0x80 0x00` (the last two bytes: u16 128 = key bits, little-endian). */
function derivationBuffer(label: string): Uint8Array {
  return concatBytes(Uint8Array.of(0x01), new TextEncoder().encode(label), Uint8Array.of(0x00, 0x80, 0x00));
}

const LABEL_SMK = derivationBuffer('SMK');
const LABEL_SK = derivationBuffer('SK');
const LABEL_MK = derivationBuffer('MK');
const LABEL_VK = derivationBuffer('VK');

/**
 * Derives KDK, SMK, SK, MK and VK from the ECDH shared secret as `sgx_ecc256_compute_shared_dhkey`
 * returns it (the x coordinate, little-endian, 32 bytes). PROTOCOL-SEED.md §6.2:
 * `KDK = CMAC(0^16, shared_LE)`; `Kx = CMAC(KDK, 0x01 ‖ label ‖ 0x00 ‖ 0x80 0x00)`.
 */
export function deriveRaKeys(sharedSecretLE: Uint8Array): RaKeys {
  if (!(sharedSecretLE instanceof Uint8Array)) throw new TypeError('sharedSecretLE must be a Uint8Array');
  if (sharedSecretLE.length !== SHARED_SECRET_SIZE) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_LENGTH',
      `the ECDH shared secret must be 32 bytes, got ${sharedSecretLE.length}`,
    );
  }
  const kdk = aesCmac(KDK_KEY, sharedSecretLE);
  return Object.freeze({
    kdk,
    smk: aesCmac(kdk, LABEL_SMK),
    sk: aesCmac(kdk, LABEL_SK),
    mk: aesCmac(kdk, LABEL_MK),
    vk: aesCmac(kdk, LABEL_VK),
  });
}

/**
 * The report_data an enclave puts in its quote to bind it to the session:
 * `SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32` (PROTOCOL-SEED.md §6.4; the SP compares all 64 bytes).
 */
export function raReportData(gA: Uint8Array, gB: Uint8Array, vk: Uint8Array): Uint8Array {
  for (const [v, n, name] of [
    [gA, 64, 'gA'],
    [gB, 64, 'gB'],
    [vk, 16, 'vk'],
  ] as const) {
    if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
    if (v.length !== n) {
      throw new CryptoError('ERR_CRYPTO_INVALID_LENGTH', `${name} must be ${n} bytes, got ${v.length}`);
    }
  }
  const out = new Uint8Array(REPORT_DATA_SIZE);
  out.set(sha256(concatBytes(gA, gB, vk)));
  return out;
}
