/**
 * A simulated EPID quoting enclave: v2 quotes (PROTOCOL-SEED.md §5.3) whose 436-byte prefix is
 * real (version 2, sign type, group id, basename, the report body with report_data) and whose
 * 680-byte signature field holds, in its first 64 bytes, an ECDSA-P256 signature (r ‖ s,
 * big-endian) over `quote[0..432)` by a simulated "EPID group key", zeros after it. 1116 bytes in
 * all, `signature_len` 680: the size of a real EPID quote without SigRL entries. An IAS-compatible
 * mock holding the group's public key can check it; real IAS cannot.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ConfigError, ProtocolError } from '../errors.ts';
import { signSimEpidQuote } from '../sim/ias-mock.ts';
import { EPID_QUOTE_BODY_SIZE, encodeQuoteV2 } from '../wire/quote.ts';
import { type ResolvedIdentity, resolveIdentity, simulatedReportBody } from './identity.ts';
import type { QuoteProvider, QuoteRequest, SimulatedIdentity, WarnFn } from './types.ts';

/** `signature_len` of an EPID quote without SigRL entries (680, §5.3); the size of the simulated EPID quote (1116). */
export { SIM_EPID_QUOTE_SIZE, SIM_EPID_SIGNATURE_SIZE as SIM_EPID_SIGNATURE_LEN } from '../sim/ias-mock.ts';
/** The default simulated EPID group id, 0x00000B37, as the 4 little-endian bytes msg1 carries. */
export const SIM_EPID_GROUP_ID: Uint8Array = Uint8Array.of(0x37, 0x0b, 0x00, 0x00);
/** The SigRL header the SDK requires: protocol_version 0x0002, epid_identifier 0x000E (§5.3). */
const SIG_RL_HEADER = Uint8Array.of(0x00, 0x02, 0x00, 0x0e);
/** `sign_type` values of an EPID quote. */
const SIGN_TYPE_UNLINKABLE = 0;
const SIGN_TYPE_LINKABLE = 1;

/** Options of {@link SimulatedEpidQuoteProvider}. */
export interface SimulatedEpidOptions {
  /** The enclave's identity (defaults: see {@link SimulatedIdentity}). */
  readonly identity?: SimulatedIdentity;
  /** The simulated EPID group id, 4 bytes little-endian (default {@link SIM_EPID_GROUP_ID}). */
  readonly groupId?: Uint8Array;
  /**
   * The simulated EPID group's P-256 private key, PKCS#8 PEM. Without it a fresh key is generated
   * and `warn` is told (a mock IAS then needs {@link SimulatedEpidQuoteProvider.groupPublicKeyPem}).
   */
  readonly groupKeyPem?: string;
  /** QE SVN in the quote header (default 1). */
  readonly qeSvn?: number;
  /** PCE SVN in the quote header (default 1). */
  readonly pceSvn?: number;
  /** Where warnings go. */
  readonly warn?: WarnFn;
}

/** The simulated EPID quoting enclave (see the module comment). */
export class SimulatedEpidQuoteProvider implements QuoteProvider {
  /** Always `'epid'`. */
  readonly quoteKind: 'epid' = 'epid';
  readonly #identity: ResolvedIdentity;
  readonly #groupId: Uint8Array;
  readonly #groupKey: KeyObject;
  readonly #qeSvn: number;
  readonly #pceSvn: number;

  constructor(options: SimulatedEpidOptions = {}) {
    this.#identity = resolveIdentity(options.identity);
    const gid = options.groupId ?? SIM_EPID_GROUP_ID;
    if (!(gid instanceof Uint8Array) || gid.length !== 4) throw new RangeError('groupId must be 4 bytes');
    this.#groupId = gid.slice();
    if (options.groupKeyPem === undefined) {
      this.#groupKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      options.warn?.(
        'simulated EPID: no group key given; generated a fresh one (give its public key to the IAS mock)',
      );
    } else {
      let key: KeyObject;
      try {
        key = createPrivateKey({ key: options.groupKeyPem, format: 'pem' });
      } catch (cause) {
        throw new ConfigError('ERR_CONFIG_INVALID', 'the simulated EPID group key is not a PEM private key', {
          cause,
        });
      }
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new ConfigError('ERR_CONFIG_INVALID', 'the simulated EPID group key must be a P-256 key');
      }
      this.#groupKey = key;
    }
    this.#qeSvn = options.qeSvn ?? 1;
    this.#pceSvn = options.pceSvn ?? 1;
  }

  /** The group's public key (SPKI PEM), for an IAS mock. */
  get groupPublicKeyPem(): string {
    return createPublicKey(this.#groupKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The simulated EPID group id (4 bytes, little-endian). */
  epidGroupId(): Uint8Array {
    return this.#groupId.slice();
  }

  /** A 1116-byte simulated v2 quote over `request.reportData`. */
  async getQuote(request: QuoteRequest): Promise<Uint8Array> {
    // §5.3 / §6.6: the SDK accepts a SigRL only if it starts 00 02 00 0E (SGX_ERROR_INVALID_PARAMETER).
    if (request.sigRl.length > 0) {
      const head = request.sigRl.subarray(0, SIG_RL_HEADER.length);
      if (head.length !== SIG_RL_HEADER.length || head.some((b, i) => b !== SIG_RL_HEADER[i])) {
        throw new ProtocolError(
          'ERR_PROTOCOL_MSG2_INVALID',
          'msg2 SigRL does not start 00 02 00 0E (SGX_ERROR_INVALID_PARAMETER 0x0002)',
        );
      }
    }
    const linkable = request.quoteType !== 0; // §5.2: the SDK maps 0 to unlinkable, anything else to linkable
    const basename = new Uint8Array(32);
    basename.set(request.spid.subarray(0, 16)); // SPID ‖ 0^16, as in Intel's sample quote
    // The signed 432 bytes; signSimEpidQuote appends signature_len and the signature field.
    const quoteBody = encodeQuoteV2({
      signType: linkable ? SIGN_TYPE_LINKABLE : SIGN_TYPE_UNLINKABLE,
      epidGroupId: this.#groupId,
      qeSvn: this.#qeSvn,
      pceSvn: this.#pceSvn,
      xeid: 0,
      basename,
      body: simulatedReportBody(this.#identity, request.reportData),
      signature: new Uint8Array(0),
    }).subarray(0, EPID_QUOTE_BODY_SIZE);
    return signSimEpidQuote(quoteBody, this.#groupKey);
  }
}
