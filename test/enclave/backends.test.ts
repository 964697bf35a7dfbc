/**
 * The real backends (Gramine `/dev/attestation`, TDX configfs-tsm) against fake pseudo files whose
 * quotes come from the simulated platform.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { generateEcKeyPair, raReportData } from '../../src/crypto/index.ts';
import {
  type Enclave,
  type FsAdapter,
  GramineEnclave,
  GramineQuoteProvider,
  TsmEnclave,
  TsmQuoteProvider,
} from '../../src/enclave/index.ts';
import { createSimulatedPlatform, type SimulatedPlatform } from '../../src/sim/platform.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';
import { toHex } from '../../src/wire/hex.ts';
import { encodeQuoteV2 } from '../../src/wire/quote.ts';
import { code } from '../helpers/errors.ts';
import { runHandSession } from '../helpers/hand-sp.ts';

const sp = generateEcKeyPair();
async function runSession(enclave: Enclave) {
  const r = await runHandSession(enclave, sp, Uint8Array.of(0, 1));
  const reportData = raReportData(r.msg1.gA, r.gB, r.keys.vk);
  return { msg1: r.msg1, quote: r.quote, reportData, secret: r.delivered };
}

/** An in-memory file tree with hooks for the pseudo files. */
class FakeFs implements FsAdapter {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>();
  readonly log: string[] = [];
  onWrite: (path: string, data: Uint8Array) => void = () => {};
  onRead: (path: string) => Uint8Array | undefined = () => undefined;

  async readFile(path: string): Promise<Uint8Array> {
    this.log.push(`read ${path}`);
    const hooked = this.onRead(path);
    if (hooked !== undefined) return hooked;
    const f = this.files.get(path);
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return f.slice();
  }
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    this.log.push(`write ${path}`);
    this.files.set(path, data.slice());
    this.onWrite(path, data);
  }
  async mkdir(path: string): Promise<void> {
    this.log.push(`mkdir ${path}`);
    this.dirs.add(path);
  }
  async rmdir(path: string): Promise<void> {
    this.log.push(`rmdir ${path}`);
    this.dirs.delete(path);
  }
}

const text = (s: string) => new TextEncoder().encode(s);

let platform: SimulatedPlatform;
before(async () => {
  platform = await createSimulatedPlatform({
    seed: 'attestkit backend tests',
    now: new Date('2025-06-01T00:00:00Z'),
  });
});

describe('GramineEnclave (/dev/attestation)', () => {
  function gramineFs(type: string): FakeFs {
    const fs = new FakeFs();
    fs.files.set('/dev/attestation/attestation_type', text(`${type}\n`));
    fs.onWrite = (path, data) => {
      if (path !== '/dev/attestation/user_report_data') return;
      assert.equal(data.length, 64);
      const quote =
        type === 'epid'
          ? encodeQuoteV2({
              signType: 1,
              epidGroupId: Uint8Array.of(0xaa, 0xbb, 0, 0),
              body: platform.sgxReportBody({ reportData: data }),
              signature: new Uint8Array(680),
            })
          : platform.quoteSgx(platform.sgxReportBody({ reportData: data }));
      fs.files.set('/dev/attestation/quote', quote);
    };
    return fs;
  }

  test('DCAP: the quote over the written report data verifies and binds the session', async () => {
    const fs = gramineFs('dcap');
    const enclave = await GramineEnclave.create({ spPublicKey: sp.publicKey, fs });
    assert.equal(enclave.kind, 'gramine');
    const r = await runSession(enclave);
    assert.deepEqual(r.msg1.gid, new Uint8Array(4));
    assert.deepEqual(r.secret, Uint8Array.of(0, 1));
    const v = verifyQuote(r.quote, platform.collateral.sgx, {
      now: platform.now,
      trustAnchors: [platform.rootPem],
    });
    assert.equal(v.enclave?.reportData, toHex(r.reportData));
    assert.deepEqual(fs.log.slice(-2), [
      'write /dev/attestation/user_report_data',
      'read /dev/attestation/quote',
    ]);
  });

  test('EPID: the group id for msg1 comes from a probe quote', async () => {
    const provider = await GramineQuoteProvider.create({ fs: gramineFs('epid') });
    assert.equal(provider.quoteKind, 'epid');
    assert.deepEqual(provider.epidGroupId(), Uint8Array.of(0xaa, 0xbb, 0, 0));
  });

  test('outside Gramine, or with attestation off: ERR_CONFIG_UNSUPPORTED', async () => {
    await assert.rejects(
      GramineEnclave.create({ spPublicKey: sp.publicKey, fs: new FakeFs() }),
      code('ERR_CONFIG_UNSUPPORTED'),
    );
    await assert.rejects(
      GramineEnclave.create({ spPublicKey: sp.publicKey, fs: gramineFs('none') }),
      code('ERR_CONFIG_UNSUPPORTED'),
    );
  });

  test('concurrent quote requests do not interleave the write/read pair', async () => {
    const fs = gramineFs('dcap');
    const provider = await GramineQuoteProvider.create({ fs });
    const requests = [1, 2, 3].map((n) => ({
      reportData: new Uint8Array(64).fill(n),
      quoteType: 0,
      spid: new Uint8Array(16),
      sigRl: new Uint8Array(0),
    }));
    const quotes = await Promise.all(requests.map((r) => provider.getQuote(r)));
    quotes.forEach((q, i) => {
      const v = verifyQuote(q, platform.collateral.sgx, {
        now: platform.now,
        trustAnchors: [platform.rootPem],
      });
      assert.equal(v.enclave?.reportData, toHex(requests[i]!.reportData));
    });
    const ops = fs.log.filter((l) => l.includes('user_report_data') || l.endsWith('/quote'));
    for (let i = 0; i < ops.length; i += 2) {
      assert.match(ops[i]!, /^write/);
      assert.match(ops[i + 1]!, /^read/);
    }
  });
});

describe('TsmEnclave (configfs-tsm)', () => {
  function tsmFs(options: { provider?: string; racer?: boolean } = {}): FakeFs {
    const fs = new FakeFs();
    const generation = new Map<string, number>();
    fs.onWrite = (path, data) => {
      const dir = path.slice(0, path.lastIndexOf('/'));
      generation.set(dir, (generation.get(dir) ?? 0) + 1 + (options.racer === true ? 1 : 0));
      if (path.endsWith('/inblob'))
        fs.files.set(`${dir}/outblob`, platform.quoteTdx(platform.tdReport({ reportData: data })));
    };
    fs.onRead = (path) => {
      const dir = path.slice(0, path.lastIndexOf('/'));
      if (path.endsWith('/generation')) return text(`${generation.get(dir) ?? 0}\n`);
      if (path.endsWith('/provider')) return text(`${options.provider ?? 'tdx_guest'}\n`);
      return undefined;
    };
    return fs;
  }

  test('a TDX v4 quote whose TD report carries the session binding; the entry is removed', async () => {
    const fs = tsmFs();
    const enclave = new TsmEnclave({ spPublicKey: sp.publicKey, fs });
    assert.equal(enclave.kind, 'tsm');
    const r = await runSession(enclave);
    assert.deepEqual(r.secret, Uint8Array.of(0, 1));
    const v = verifyQuote(r.quote, platform.collateral.tdx, {
      now: platform.now,
      trustAnchors: [platform.rootPem],
    });
    assert.equal(v.teeType, 'TDX');
    assert.equal(v.td?.reportData, toHex(r.reportData));
    assert.equal(fs.dirs.size, 0, 'the report entry is removed');
    assert.ok(
      fs.log.some((l) => /^mkdir \/sys\/kernel\/config\/tsm\/report\/attestkit-[0-9a-f]{16}$/.test(l)),
    );
  });

  test('a generation that moved (another writer) is retried, then refused', async () => {
    const provider = new TsmQuoteProvider({ fs: tsmFs({ racer: true }) });
    await assert.rejects(
      provider.getQuote({
        reportData: new Uint8Array(64),
        quoteType: 0,
        spid: new Uint8Array(16),
        sigRl: new Uint8Array(0),
      }),
      code('ERR_CONFIG_UNSUPPORTED'),
    );
  });

  test('another provider than tdx_guest is refused; missing configfs is ERR_CONFIG_UNSUPPORTED', async () => {
    const req = {
      reportData: new Uint8Array(64),
      quoteType: 0,
      spid: new Uint8Array(16),
      sigRl: new Uint8Array(0),
    };
    await assert.rejects(
      new TsmQuoteProvider({ fs: tsmFs({ provider: 'sev_guest' }) }).getQuote(req),
      code('ERR_CONFIG_UNSUPPORTED'),
    );
    const broken = new FakeFs();
    broken.mkdir = async () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    await assert.rejects(new TsmQuoteProvider({ fs: broken }).getQuote(req), code('ERR_CONFIG_UNSUPPORTED'));
  });
});
