/**
 * The RA core: what runs inside the trusted boundary for every backend (the simulated enclave's
 * worker, Gramine's process, a TDX guest). It re-implements the enclave half of the SGX SDK key
 * exchange (`sgx_ra_init`, `sgx_ra_get_msg1`, `sgx_ra_proc_msg2`, `sgx_ra_get_msg3_trusted`,
 * `sgx_ra_get_keys`; PROTOCOL-SEED.md §6.6) and the seed enclave's `verify_att_result_mac` and
 * `verify_secret_data` (§6.5), with the checks in the SDK's order and constant-time MAC compares.
 *
 * Quotes come from an injected {@link QuoteProvider}. Private keys, session keys and attestation
 * results stay in this object; only msg1, msg3 and (on purpose) the decrypted secret leave it.
 *
 * @module
 */
import { aesCmac } from '../crypto/cmac.ts';
import { timingSafeEqual } from '../crypto/compare.ts';
import { aesGcmDecrypt, GCM_IV_SIZE } from '../crypto/gcm.ts';
import { deriveRaKeys, type RaKeys, raReportData } from '../crypto/kdf.ts';
import { createEphemeralEcdh, type EphemeralEcdh, validateEc256Public, verifySgx } from '../crypto/p256.ts';
import { type RandomSource, systemRandom } from '../crypto/random.ts';
import { isAttestError, ProtocolError } from '../errors.ts';
import { isAllZero } from '../wire/hex.ts';
import {
  type AttestationResult,
  encodeMsg1,
  encodeMsg3,
  MSG2_HEADER_SIZE,
  msg2MacData,
  msg2SignatureData,
  PLATFORM_INFO_BLOB_SIZE,
  parseAttestationResult,
  parseMsg2,
  SGX_MAC_SIZE,
  SGX_PS_SEC_PROP_SIZE,
} from '../wire/ra.ts';
import type { QuoteProvider } from './types.ts';

/** `AES_CMAC_KDF_ID`: the only `kdf_id` the SDK accepts without a callback (§6.2, §6.6). */
const KDF_ID_AES_CMAC = 1;
/** The seed's GCM IV: 12 zero bytes (§6.5). Safe because SK is fresh and used once per session. */
const ZERO_IV = new Uint8Array(GCM_IV_SIZE);
/** Default cap on concurrently open RA contexts (abuse resistance). */
export const DEFAULT_MAX_SESSIONS = 1024;

/** Options of {@link RaCore}. */
export interface RaCoreOptions {
  /**
   * The service provider's long-term public key, `sgx_ec256_public_t` (64 bytes, little-endian),
   * pinned as the SDK pins it with `sgx_ra_init(&g_sp_pub_key, …)` (§6.3).
   */
  readonly spPublicKey: Uint8Array;
  /** Where quotes come from. */
  readonly quoteProvider: QuoteProvider;
  /** Randomness for the ephemeral keys (default: the system CSPRNG). */
  readonly random?: RandomSource;
  /** The extended EPID group id reported in msg0 (default 0, the only one IAS and DCAP use). */
  readonly extendedGroupId?: number;
  /** Cap on concurrently open sessions (default {@link DEFAULT_MAX_SESSIONS}). */
  readonly maxSessions?: number;
}

type Phase = 'opened' | 'msg1' | 'msg3' | 'verified' | 'delivered' | 'failed';

interface Context {
  phase: Phase;
  /**
   * The ephemeral key a (crypto/p256 `createEphemeralEcdh`: the same draws as `generateEcKeyPair`,
   * its 32-byte scalar and nothing native); zero-filled and dropped once the ECDH is done, or when
   * the session fails.
   */
  privateKey: EphemeralEcdh | undefined;
  /** g_a, until msg3 is built. */
  gA: Uint8Array | undefined;
  /**
   * The session keys: all five while msg2 is processed; after msg3 only MK and SK, the two the
   * rest of the session uses (KDK, SMK and VK are zero-filled then).
   */
  keys: RaKeys | SessionKeys | undefined;
  result: AttestationResult | undefined;
}

/** The keys a session keeps after msg3: MK for the result's MAC, SK for the secret (§6.5). */
interface SessionKeys {
  readonly mk: Uint8Array;
  readonly sk: Uint8Array;
}

function zeroKeys(keys: RaKeys | SessionKeys | undefined): void {
  if (keys === undefined) return;
  if ('kdk' in keys) {
    keys.kdk.fill(0);
    keys.smk.fill(0);
    keys.vk.fill(0);
  }
  keys.sk.fill(0);
  keys.mk.fill(0);
}

/**
 * Several RA contexts keyed by session id, each following the SDK's state machine. Not safe to
 * share between mutually distrusting hosts: whoever holds the object drives every session.
 */
export class RaCore {
  readonly #spPublicKey: Uint8Array;
  readonly #provider: QuoteProvider;
  readonly #random: RandomSource;
  readonly #extendedGroupId: number;
  readonly #maxSessions: number;
  readonly #sessions = new Map<number, Context>();
  #nextId = 1;

  constructor(options: RaCoreOptions) {
    if (!(options.spPublicKey instanceof Uint8Array)) throw new TypeError('spPublicKey must be a Uint8Array');
    // A pinned key that is not a curve point is a configuration mistake: fail at construction.
    validateEc256Public(options.spPublicKey);
    this.#spPublicKey = options.spPublicKey.slice();
    this.#provider = options.quoteProvider;
    this.#random = options.random ?? systemRandom;
    const xgid = options.extendedGroupId ?? 0;
    if (!Number.isInteger(xgid) || xgid < 0 || xgid > 0xffffffff)
      throw new RangeError('extendedGroupId must be a u32');
    this.#extendedGroupId = xgid;
    const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxSessions must be a positive integer');
    this.#maxSessions = max;
  }

  /** The quote kind of the provider (`'epid'` or `'dcap'`). */
  get quoteKind(): 'epid' | 'dcap' {
    return this.#provider.quoteKind;
  }

  /** Number of open sessions. */
  get openSessions(): number {
    return this.#sessions.size;
  }

  /** `sgx_get_extended_epid_group_id` (§4.1 step 2). */
  extendedGroupId(): number {
    return this.#extendedGroupId;
  }

  /** `sgx_ra_init`: opens a context and returns its id. */
  open(): number {
    if (this.#sessions.size >= this.#maxSessions) {
      throw new ProtocolError(
        'ERR_PROTOCOL_SESSION_ENDED',
        `too many open RA sessions (cap ${this.#maxSessions})`,
      );
    }
    const id = this.#nextId++;
    this.#sessions.set(id, {
      phase: 'opened',
      privateKey: undefined,
      gA: undefined,
      keys: undefined,
      result: undefined,
    });
    return id;
  }

  #get(id: number, expected: Phase, what: string): Context {
    const ctx = this.#sessions.get(id);
    if (ctx === undefined || ctx.phase === 'failed' || ctx.phase === 'delivered') {
      throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `${what}: RA session ${id} is closed`);
    }
    if (ctx.phase !== expected) {
      // §6.6: the SDK answers calls out of order with SGX_ERROR_INVALID_STATE (0x0005).
      throw new ProtocolError(
        'ERR_PROTOCOL_UNEXPECTED_MESSAGE',
        `${what} in state ${ctx.phase} (SGX_ERROR_INVALID_STATE 0x0005)`,
      );
    }
    return ctx;
  }

  #fail(ctx: Context): void {
    ctx.phase = 'failed';
    ctx.privateKey?.destroy();
    ctx.privateKey = undefined;
    zeroKeys(ctx.keys);
    ctx.keys = undefined;
    ctx.result = undefined;
  }

  /** `sgx_ra_get_msg1`: a fresh key pair a, g_a; returns `g_a ‖ gid` (68 bytes, §5.2). */
  msg1(id: number): Uint8Array {
    const ctx = this.#get(id, 'opened', 'msg1');
    const pair = createEphemeralEcdh(this.#random);
    ctx.privateKey = pair;
    ctx.gA = pair.publicKey;
    ctx.phase = 'msg1';
    return encodeMsg1({ gA: pair.publicKey, gid: this.#provider.epidGroupId() });
  }

  /**
   * `sgx_ra_proc_msg2` and `sgx_ra_get_msg3_trusted` (§6.6): checks msg2 and returns msg3. Any
   * failure ends the session.
   */
  async processMsg2(id: number, msg2Bytes: Uint8Array): Promise<Uint8Array> {
    const ctx = this.#get(id, 'msg1', 'processMsg2');
    if (!(msg2Bytes instanceof Uint8Array)) throw new TypeError('msg2 must be a Uint8Array');
    ctx.phase = 'failed'; // until the end: no second attempt on the same context
    try {
      return await this.#processMsg2(ctx, msg2Bytes);
    } catch (e) {
      this.#fail(ctx);
      throw e;
    }
  }

  async #processMsg2(ctx: Context, msg2Bytes: Uint8Array): Promise<Uint8Array> {
    const gA = ctx.gA!;
    const privateKey = ctx.privateKey!;
    // §6.6 row 1 (untrusted): msg2_size == 168 + sig_rl_size, else SGX_ERROR_INVALID_PARAMETER.
    let msg2: ReturnType<typeof parseMsg2>;
    try {
      msg2 = parseMsg2(msg2Bytes);
    } catch (cause) {
      if (!isAttestError(cause)) throw cause;
      throw new ProtocolError(
        'ERR_PROTOCOL_MSG2_INVALID',
        `msg2 is not ${MSG2_HEADER_SIZE} + sig_rl_size bytes (SGX_ERROR_INVALID_PARAMETER 0x0002)`,
        { cause },
      );
    }
    // §6.6 row 3: ECDH(a, g_b); an invalid point is SGX_ERROR_UNEXPECTED in the SDK.
    let shared: Uint8Array;
    try {
      shared = privateKey.sharedSecretLE(msg2.gB);
    } catch (cause) {
      if (!isAttestError(cause)) throw cause;
      throw new ProtocolError(
        'ERR_PROTOCOL_INVALID_GB',
        'msg2 g_b is not a valid P-256 point (SGX_ERROR_UNEXPECTED)',
        {
          cause,
        },
      );
    }
    // a is needed for nothing else: zero-fill it now (the context drops it below).
    privateKey.destroy();
    // §6.3, §6.6 row 4: sign_gb_ga verifies with the pinned SP key, else SGX_ERROR_INVALID_SIGNATURE.
    if (!verifySgx(this.#spPublicKey, msg2SignatureData(msg2.gB, gA), msg2.signGbGa)) {
      shared.fill(0);
      throw new ProtocolError(
        'ERR_PROTOCOL_MSG2_SIGNATURE',
        'msg2 sign_gb_ga does not verify with the pinned service-provider key (SGX_ERROR_INVALID_SIGNATURE 0x2003)',
        { hint: 'The enclave pins one SP public key; the SP must sign with the matching private key.' },
      );
    }
    // §6.6 row 5: kdf_id must be 1 (no key-derivation callback), else SGX_ERROR_KDF_MISMATCH.
    if (msg2.kdfId !== KDF_ID_AES_CMAC) {
      shared.fill(0);
      throw new ProtocolError(
        'ERR_PROTOCOL_KDF_UNSUPPORTED',
        `msg2 kdf_id ${msg2.kdfId} is not supported (SGX_ERROR_KDF_MISMATCH 0x4011)`,
      );
    }
    // §6.2: KDK, SMK, SK, MK, VK from the shared secret.
    const keys = deriveRaKeys(shared);
    shared.fill(0);
    ctx.keys = keys;
    // §6.3, §6.6 row 6: CMAC_SMK(msg2[0..148)) == mac, compared in constant time.
    if (!timingSafeEqual(aesCmac(keys.smk, msg2MacData(msg2)), msg2.mac)) {
      throw new ProtocolError(
        'ERR_PROTOCOL_MSG2_MAC',
        'msg2 MAC does not verify (SGX_ERROR_MAC_MISMATCH 0x3001)',
      );
    }
    // §6.4, §6.6 row 7: report_data = SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32.
    const reportData = raReportData(gA, msg2.gB, keys.vk);
    // §6.6 rows 8-9 (untrusted): the quote over that report.
    const quote = await this.#provider.getQuote({
      reportData,
      quoteType: msg2.quoteType,
      spid: msg2.spid,
      sigRl: msg2.sigRl,
    });
    if (!(quote instanceof Uint8Array) || quote.length === 0)
      throw new TypeError('the quote provider returned no quote');
    // §6.4, §6.6 row 10: msg3 = mac ‖ g_a ‖ ps_sec_prop ‖ quote, mac = CMAC_SMK(msg3[16..)).
    // Built once with a zero MAC, then MACed in place: msg3[16..) is exactly g_a ‖ ps_sec_prop ‖ quote.
    const psSecProp = new Uint8Array(SGX_PS_SEC_PROP_SIZE);
    const msg3 = encodeMsg3({ mac: new Uint8Array(SGX_MAC_SIZE), gA, psSecProp, quote });
    msg3.set(aesCmac(keys.smk, msg3.subarray(SGX_MAC_SIZE)), 0);
    // a (zero-filled above), g_a, KDK, SMK and VK are no longer needed: the ECDH is done and msg3 is
    // MACed. What waits for the attestation result is MK and SK.
    ctx.privateKey = undefined;
    ctx.gA = undefined;
    ctx.keys = { mk: keys.mk, sk: keys.sk };
    keys.kdk.fill(0);
    keys.smk.fill(0);
    keys.vk.fill(0);
    ctx.phase = 'msg3';
    return msg3;
  }

  /** `verify_att_result_mac` (§6.5): CMAC_MK over the 97-byte platform info blob, constant time. */
  verifyAttestationResult(id: number, bytes: Uint8Array): void {
    const ctx = this.#get(id, 'msg3', 'verifyAttestationResult');
    if (!(bytes instanceof Uint8Array)) throw new TypeError('attestation result must be a Uint8Array');
    try {
      // PROTOCOL-SEED.md §11.2 B6: the struct is 145 + payload_size bytes, exactly.
      const result = parseAttestationResult(bytes);
      const expected = aesCmac(ctx.keys!.mk, bytes.subarray(0, PLATFORM_INFO_BLOB_SIZE));
      if (!timingSafeEqual(expected, result.mac)) {
        throw new ProtocolError(
          'ERR_PROTOCOL_ATT_RESULT_MAC',
          'attestation result MAC (CMAC under MK) does not verify',
        );
      }
      ctx.result = result;
      ctx.phase = 'verified';
    } catch (e) {
      this.#fail(ctx);
      throw e;
    }
  }

  /**
   * `verify_secret_data` (§6.5), generalised to any payload: AES-128-GCM under SK with the seed's
   * zero IV. Returns the secret; the session's keys are zero-filled afterwards.
   */
  decryptSecret(id: number): Uint8Array {
    const ctx = this.#get(id, 'verified', 'decryptSecret');
    const result = ctx.result!;
    try {
      // §4.1 step 7, §6.5: a refusing SP sends a zero payload and a zero tag (S7: the only signal).
      if (isAllZero(result.payloadTag) && isAllZero(result.payload)) {
        throw new ProtocolError(
          'ERR_PROTOCOL_REFUSED',
          'the service provider refused the attestation (zero payload and tag)',
        );
      }
      const secret = aesGcmDecrypt(ctx.keys!.sk, ZERO_IV, result.payload, result.payloadTag);
      ctx.phase = 'delivered';
      zeroKeys(ctx.keys);
      ctx.keys = undefined;
      ctx.result = undefined;
      return secret;
    } catch (e) {
      this.#fail(ctx);
      throw e;
    }
  }

  /**
   * True when session `id` can take no further call: it is unknown (closed), failed, or delivered
   * its secret. Its keys are zero-filled already; {@link RaCore.close} only releases the record.
   */
  isFinished(id: number): boolean {
    const ctx = this.#sessions.get(id);
    return ctx === undefined || ctx.phase === 'failed' || ctx.phase === 'delivered';
  }

  /** Closes a context and zero-fills its keys (idempotent). */
  close(id: number): void {
    const ctx = this.#sessions.get(id);
    if (ctx === undefined) return;
    this.#fail(ctx);
    this.#sessions.delete(id);
  }

  /** Closes every context. */
  closeAll(): void {
    for (const id of [...this.#sessions.keys()]) this.close(id);
  }
}
