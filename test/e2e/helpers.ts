/**
 * Shared pieces of the DCAP end-to-end tests (issue 5): an error-code predicate, an in-memory
 * {@link FsAdapter} for the real backends' pseudo files, Application servers with short deadlines,
 * and ServiceProvider runs wired as `attestkit sp` wires them (`createSpWiring`: DCAP verification
 * against the given collateral under the simulated root, then the policy), all over real TLS on
 * 127.0.0.1. Only the public subpaths of `src/` are imported.
 */
import { createSpWiring, type SpWiring } from '../../src/cli/sp-wiring.ts';
import { createSelfSignedTlsIdentity, type TlsIdentity } from '../../src/cli/tls-cert.ts';
import type { Collateral } from '../../src/collateral/index.ts';
import { type EcKeyPair, generateEcKeyPair } from '../../src/crypto/index.ts';
import type { Enclave, FsAdapter } from '../../src/enclave/index.ts';
import type { Policy } from '../../src/policy/index.ts';
import {
  type ApplicationServer,
  type AppSessionReport,
  runServiceProvider,
  type ServiceProviderRun,
  startApplicationServer,
} from '../../src/transport/index.ts';

/** A predicate for `assert.throws`/`assert.rejects`: the error carries `code`. */
export const hasCode =
  (code: string) =>
  (e: unknown): boolean =>
    (e as { code?: unknown }).code === code;

/** Short deadlines: a stuck session fails the test quickly instead of hanging it. */
export const TIMEOUTS: {
  readonly handshakeMs: number;
  readonly messageMs: number;
  readonly sessionMs: number;
} = Object.freeze({ handshakeMs: 3_000, messageMs: 3_000, sessionMs: 10_000 });

/** UTF-8 bytes of `s`. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The ends of a test bed: the App's TLS identity (pinned by the SP) and the SP's signing key (pinned by the enclave). */
export interface Parties {
  readonly tls: TlsIdentity;
  readonly sp: EcKeyPair;
}

/** Fresh parties. */
export function createParties(): Parties {
  return { tls: createSelfSignedTlsIdentity(), sp: generateEcKeyPair() };
}

/** An in-memory file tree whose pseudo files are driven by hooks (like `/dev/attestation` or configfs-tsm). */
export class FakeFs implements FsAdapter {
  readonly files: Map<string, Uint8Array> = new Map();
  readonly dirs: Set<string> = new Set();
  /** Called after each write (the file is stored first). */
  onWrite: (path: string, data: Uint8Array) => void = () => {};
  /** Answers a read instead of the stored file when it returns bytes. */
  onRead: (path: string) => Uint8Array | undefined = () => undefined;

  async readFile(path: string): Promise<Uint8Array> {
    const hooked = this.onRead(path);
    if (hooked !== undefined) return hooked;
    const f = this.files.get(path);
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return f.slice();
  }
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, data.slice());
    this.onWrite(path, data);
  }
  async mkdir(path: string): Promise<void> {
    this.dirs.add(path);
  }
  async rmdir(path: string): Promise<void> {
    this.dirs.delete(path);
  }
}

/**
 * A fake configfs-tsm: each write bumps the report entry's `generation`, a write to `inblob` makes
 * `outblob` the quote `quoteFor(inblob)` returns, and `provider` reads `tdx_guest`.
 */
export function fakeTsmFs(quoteFor: (reportData: Uint8Array) => Uint8Array): FakeFs {
  const fs = new FakeFs();
  const generation = new Map<string, number>();
  fs.onWrite = (path, data) => {
    const dir = path.slice(0, path.lastIndexOf('/'));
    generation.set(dir, (generation.get(dir) ?? 0) + 1);
    if (path.endsWith('/inblob')) fs.files.set(`${dir}/outblob`, quoteFor(data));
  };
  fs.onRead = (path) => {
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (path.endsWith('/generation')) return utf8(`${generation.get(dir) ?? 0}\n`);
    if (path.endsWith('/provider')) return utf8('tdx_guest\n');
    return undefined;
  };
  return fs;
}

/** A running App and what it reported. */
export interface AppBed {
  readonly server: ApplicationServer;
  /** Delivered secrets, hex, in order. */
  readonly secrets: string[];
  /** Ended sessions, in order. */
  readonly reports: AppSessionReport[];
  /** Waits (briefly) until the App has reported `n` ended sessions. */
  reportsReach(n: number): Promise<void>;
}

/** Starts an Application server on 127.0.0.1 (any free port) for `enclave`. */
export async function startApp(enclave: Enclave, parties: Parties): Promise<AppBed> {
  const secrets: string[] = [];
  const reports: AppSessionReport[] = [];
  const server = await startApplicationServer({
    cert: parties.tls.certPem,
    key: parties.tls.keyPem,
    host: '127.0.0.1',
    enclave,
    timeouts: TIMEOUTS,
    onSecret: (secret) => {
      secrets.push(Buffer.from(secret).toString('hex'));
    },
    onSessionEnd: (r) => reports.push(r),
  });
  return {
    server,
    secrets,
    reports,
    async reportsReach(n: number): Promise<void> {
      for (let i = 0; i < 200 && reports.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/** What the SP of one session is given. */
export interface AttestSetup {
  /** The collateral the SP verifies the quote against. */
  readonly collateral: Collateral;
  /** The trust anchor (the simulated root, PEM). */
  readonly trustAnchor: string;
  readonly policy: Policy;
  /** The SP's clock for verification and appraisal. */
  readonly now: Date;
  /** The secret to provision (default: the seed's `00 01`). */
  readonly secret?: Uint8Array;
}

/** One SP session against `app` over TLS, and the wiring that saw its verification and verdict. */
export async function attest(
  app: AppBed,
  parties: Parties,
  setup: AttestSetup,
): Promise<{ readonly run: ServiceProviderRun; readonly wiring: SpWiring }> {
  const wiring = createSpWiring({
    policy: setup.policy,
    now: () => setup.now,
    dcap: { getCollateral: async () => setup.collateral, trustAnchors: [setup.trustAnchor] },
  });
  const run = await runServiceProvider({
    host: '127.0.0.1',
    port: app.server.address.port,
    ca: parties.tls.certPem,
    timeouts: TIMEOUTS,
    serviceProvider: {
      signingKey: parties.sp.privateKey,
      verifier: wiring.verifier,
      appraise: wiring.appraise,
      ...(setup.secret === undefined ? {} : { secret: setup.secret }),
    },
  });
  return { run, wiring };
}
