/**
 * A simulated DCAP quoting enclave: SGX ECDSA v3 quotes made by the simulated platform of `sim/`
 * (a synthetic Intel-like PKI, PCK certificate and QE), which verify with the same code as real
 * quotes once the simulated root is trusted.
 *
 * @module
 */
import type { SimulatedPlatform } from '../sim/platform.ts';
import type { ReportBodyInit } from '../wire/report.ts';
import { resolveIdentity } from './identity.ts';
import type { QuoteProvider, QuoteRequest, SimulatedIdentity } from './types.ts';

/** The simulated DCAP quoting enclave (see the module comment). */
export class SimulatedDcapQuoteProvider implements QuoteProvider {
  /** Always `'dcap'`. */
  readonly quoteKind: 'dcap' = 'dcap';
  readonly #platform: SimulatedPlatform;
  readonly #body: ReportBodyInit;

  /**
   * @param platform the simulated platform whose QE signs the quotes.
   * @param identity the enclave's identity; CPUSVN defaults to the platform's (as EREPORT reports it).
   */
  constructor(platform: SimulatedPlatform, identity: SimulatedIdentity = {}) {
    this.#platform = platform;
    const id = resolveIdentity(identity);
    this.#body = {
      ...(identity.cpuSvn === undefined ? {} : { cpuSvn: id.cpuSvn }),
      miscSelect: id.miscSelect,
      isvExtProdId: id.isvExtProdId,
      attributes: id.attributes,
      mrEnclave: id.mrEnclave,
      mrSigner: id.mrSigner,
      configId: id.configId,
      isvProdId: id.isvProdId,
      isvSvn: id.isvSvn,
      configSvn: id.configSvn,
      isvFamilyId: id.isvFamilyId,
    };
  }

  /** DCAP has no EPID group: msg1 carries gid 0. */
  epidGroupId(): Uint8Array {
    return new Uint8Array(4);
  }

  /** An SGX v3 quote over the enclave's report with `request.reportData`. */
  async getQuote(request: QuoteRequest): Promise<Uint8Array> {
    const body = this.#platform.sgxReportBody({ ...this.#body, reportData: request.reportData });
    return this.#platform.quoteSgx(body);
  }
}
