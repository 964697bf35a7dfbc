/**
 * The trusted boundary of the Application: the `Enclave` interface and the pieces a backend is
 * made of.
 *
 * An {@link Enclave} does, inside the TEE, what the SGX SDK's `sgx_ra_*` functions do for the seed's
 * enclave (PROTOCOL-SEED.md §4.1 steps 3, 5 and 7, §6.6): it makes the ephemeral key pair and msg1,
 * checks msg2 against the **pinned** service-provider key, derives the session keys, binds them to a
 * quote (`report_data = SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32`, §6.4), checks the attestation result's MAC
 * and decrypts the provisioned secret. Private keys, session keys and the secret never leave it; the
 * only thing that crosses the boundary inward-to-outward is the decrypted secret, handed to the host
 * on purpose.
 *
 * @module
 */

/**
 * One remote-attestation context inside the enclave (`sgx_ra_context_t`). Methods must be called in
 * order: {@link EnclaveSession.msg1}, {@link EnclaveSession.processMsg2},
 * {@link EnclaveSession.verifyAttestationResult}, {@link EnclaveSession.decryptSecret}; any other
 * order is refused with `ERR_PROTOCOL_UNEXPECTED_MESSAGE` (the SDK's `SGX_ERROR_INVALID_STATE`).
 */
export interface EnclaveSession {
  /** The session id inside the enclave host (not secret). */
  readonly id: number;
  /**
   * `sgx_ra_get_msg1`: a fresh ephemeral key pair; returns the 68-byte `sgx_ra_msg1_t` (g_a ‖ gid,
   * PROTOCOL-SEED.md §5.2). The gid is the EPID group id (zero for DCAP).
   */
  msg1(): Promise<Uint8Array>;
  /**
   * `sgx_ra_proc_msg2` + `sgx_ra_get_msg3_trusted`: takes the raw `sgx_ra_msg2_t` (168 + n bytes) and
   * returns the raw `sgx_ra_msg3_t` (336 + quote bytes). The checks and their codes follow §6.6:
   * size `ERR_PROTOCOL_MSG2_INVALID`; g_b not a curve point `ERR_PROTOCOL_INVALID_GB`; signature by
   * the pinned SP key `ERR_PROTOCOL_MSG2_SIGNATURE`; `kdf_id` ≠ 1 `ERR_PROTOCOL_KDF_UNSUPPORTED`;
   * MAC `ERR_PROTOCOL_MSG2_MAC`.
   */
  processMsg2(msg2: Uint8Array): Promise<Uint8Array>;
  /**
   * Checks the CMAC under MK over the 97-byte platform info blob of the raw
   * `sample_ra_att_result_msg_t` (§6.5) in constant time; `ERR_PROTOCOL_ATT_RESULT_MAC` when it
   * does not match. The result is kept inside the enclave for {@link EnclaveSession.decryptSecret}.
   */
  verifyAttestationResult(attestationResult: Uint8Array): Promise<void>;
  /**
   * Decrypts the secret of the verified attestation result with SK (AES-128-GCM, §6.5) and hands it
   * to the host. A result whose payload and tag are all zero is the seed's refusal signal
   * (`ERR_PROTOCOL_REFUSED`); a tag that does not verify is `ERR_CRYPTO_DECRYPT_FAILED`.
   */
  decryptSecret(): Promise<Uint8Array>;
  /**
   * Optional: {@link EnclaveSession.verifyAttestationResult} then {@link EnclaveSession.decryptSecret}
   * in one call, with the same checks, order and codes. A backend behind a boundary that is costly to
   * cross (the simulated enclave's worker thread) crosses it once instead of twice.
   */
  verifyAndDecrypt?(attestationResult: Uint8Array): Promise<Uint8Array>;
  /** Destroys the context and zero-fills its keys. Idempotent. */
  close(): Promise<void>;
}

/** A TEE that can run RA sessions for the Application (PROTOCOL-SEED.md §4.1, §12 item 3). */
export interface Enclave {
  /** What backs it: `'simulated'` (no TEE, tests and demos), `'gramine'` (SGX) or `'tsm'` (TDX). */
  readonly kind: 'simulated' | 'gramine' | 'tsm';
  /** `sgx_get_extended_epid_group_id`: the extended EPID group id for msg0 (0 for IAS and DCAP). */
  extendedGroupId(): Promise<number>;
  /** `sgx_ra_init`: a new RA context, with the service provider's public key pinned. */
  openSession(): Promise<EnclaveSession>;
  /** Ends every session and releases the backend (e.g. terminates the worker). Idempotent. */
  close(): Promise<void>;
}

/** What an RA context asks of its quote provider for msg3 (PROTOCOL-SEED.md §6.6, untrusted part). */
export interface QuoteRequest {
  /** The 64-byte report_data to bind into the quote. */
  readonly reportData: Uint8Array;
  /** msg2 `quote_type`: 0 unlinkable, anything else linkable (EPID only). */
  readonly quoteType: number;
  /** msg2 `spid`, 16 bytes (EPID only; the basename of a linkable quote). */
  readonly spid: Uint8Array;
  /** msg2 `sig_rl`, possibly empty (EPID only). */
  readonly sigRl: Uint8Array;
}

/**
 * Produces quotes over report data: the simulated EPID and DCAP quoting enclaves, Gramine's
 * `/dev/attestation` or Linux configfs-tsm.
 */
export interface QuoteProvider {
  /** `'epid'` for v2 quotes, `'dcap'` for v3 (SGX) and v4/v5 (SGX or TDX) quotes. */
  readonly quoteKind: 'epid' | 'dcap';
  /** The 4-byte EPID group id for msg1, little-endian (all zero for DCAP). */
  epidGroupId(): Uint8Array;
  /** A quote whose report carries `request.reportData`. */
  getQuote(request: QuoteRequest): Promise<Uint8Array>;
}

/**
 * The identity of the simulated enclave (its `sgx_report_body_t` fields, PROTOCOL-SEED.md §5.4).
 * Byte fields take bytes or hex. Every field has a default; the default enclave is **not** a debug
 * enclave.
 */
export interface SimulatedIdentity {
  /** MRENCLAVE, 32 bytes. Default: SHA-256 of `attestkit simulated enclave`. */
  readonly mrEnclave?: Uint8Array | string;
  /** MRSIGNER, 32 bytes. Default: SHA-256 of `attestkit simulated signer`. */
  readonly mrSigner?: Uint8Array | string;
  /** ISVPRODID. Default 0. */
  readonly isvProdId?: number;
  /** ISVSVN. Default 0. */
  readonly isvSvn?: number;
  /**
   * ATTRIBUTES (flags u64 ‖ xfrm u64, little-endian), 16 bytes. Default flags INIT|MODE64BIT (0x05),
   * xfrm 0x03 (x87, SSE): not debug.
   */
  readonly attributes?: Uint8Array | string;
  /** Shorthand that sets ATTRIBUTES.DEBUG (flag bit 1) on top of `attributes`. Default false. */
  readonly debug?: boolean;
  /** CPUSVN, 16 bytes. Default zero. */
  readonly cpuSvn?: Uint8Array | string;
  /** MISCSELECT. Default 0. */
  readonly miscSelect?: number;
  /** ISVEXTPRODID, 16 bytes. Default zero. */
  readonly isvExtProdId?: Uint8Array | string;
  /** ISVFAMILYID, 16 bytes. Default zero. */
  readonly isvFamilyId?: Uint8Array | string;
  /** CONFIGID, 64 bytes. Default zero. */
  readonly configId?: Uint8Array | string;
  /** CONFIGSVN. Default 0. */
  readonly configSvn?: number;
}

/**
 * The few file operations the real backends need, so tests can replace the kernel's pseudo files
 * (`/dev/attestation/*` in Gramine, `/sys/kernel/config/tsm/report/*` for TDX).
 */
export interface FsAdapter {
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Writes (truncating) a whole file. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Creates one directory. */
  mkdir(path: string): Promise<void>;
  /** Removes one empty directory. */
  rmdir(path: string): Promise<void>;
}

/** A warning sink (for example: "no EPID group key given, generated a fresh one"). */
export type WarnFn = (message: string) => void;
