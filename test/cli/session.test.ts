/**
 * Full attestations through the CLI, in-process: `demo` (DCAP and EPID) and the separate commands
 * wired together as a user would (`keygen`, then `ias-mock`, `app` and `sp`): trusted and secret
 * delivered (exit 0), the JSON objects of issue 3, refusals (exit 1) and missing IAS settings
 * (exit 2).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { SIM_DEFAULT_MR_ENCLAVE } from '../../src/enclave/identity.ts';
import { verifyEar } from '../../src/policy/ear.ts';
import { cli, cliServer, tempDir } from './helpers.ts';

const MESSAGE_TYPES = ['RA_VERIFICATION', 'MSG0', 'MSG0', 'MSG1', 'MSG2', 'MSG3', 'ATT_RESULT', 'APP_ATT_OK'];

describe('demo', () => {
  for (const quote of ['dcap', 'epid'] as const) {
    test(`demo --quote ${quote} --json: trusted, secret delivered, every message, an EAR`, async () => {
      const r = await cli(['demo', '--quote', quote, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.trusted, true);
      assert.equal(j.secretDelivered, true);
      assert.equal(j.quoteType, quote);
      assert.equal(j.status, 'UpToDate');
      assert.equal(j.verified, true);
      assert.equal(j.accepted, true);
      assert.equal(j.teeType, 'SGX');
      assert.equal(j.quoteVersion, quote === 'dcap' ? 3 : 2);
      if (quote === 'epid') assert.equal(j.iasStatus, 'OK');
      else assert.match(j.fmspc, /^[0-9A-F]{12}$/);
      assert.equal(j.enclave.mrEnclave, SIM_DEFAULT_MR_ENCLAVE);
      assert.equal(j.enclave.debug, false);
      assert.equal(j.error, undefined);
      assert.deepEqual(
        j.messages.map((m: { type: string }) => m.type),
        MESSAGE_TYPES,
      );
      assert.deepEqual(
        j.messages.map((m: { direction: string }) => m.direction),
        ['sp->app', 'app->sp', 'sp->app', 'app->sp', 'sp->app', 'app->sp', 'sp->app', 'app->sp'],
      );
      assert.ok(j.messages.every((m: { bytes: number; ms: number }) => m.bytes > 0 && m.ms >= 0));
      assert.ok(j.steps.some((s: { check: string }) => s.check === 'policy.mrEnclave'));
      assert.match(j.ear, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    });
  }

  test('demo without --json prints the transcript and the verdict', async () => {
    const r = await cli(['demo']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /SP {2}→ App {2}RA_VERIFICATION/);
    assert.match(r.stdout, /App → SP {3}APP_ATT_OK/);
    assert.match(r.stdout, /verdict: TRUSTED, secret delivered/);
  });
});

describe('keygen, ias-mock, app and sp as separate commands', () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    assert.equal((await cli(['keygen', '--out', dir, '--json'])).code, 0);
  });
  const f = (name: string): string => join(dir, name);

  test('DCAP: app --sim-dir, sp --collateral --trust-anchor --policy; secret file 0600; EAR', async () => {
    const secretDir = join(dir, 'secrets-dcap');
    const app = cliServer([
      'app',
      '--port',
      '0',
      '--tls-cert',
      f('app-tls.crt.pem'),
      '--tls-key',
      f('app-tls.key.pem'),
      '--sp-public-key',
      f('sp-public.hex'),
      '--sim-dir',
      dir,
      '--secret-out',
      secretDir,
    ]);
    const { port } = await app.ready;
    const sp = (extra: readonly string[]) =>
      cli([
        'sp',
        '--connect',
        `127.0.0.1:${port}`,
        '--tls-ca',
        f('app-tls.crt.pem'),
        '--signing-key',
        f('sp-signing.key.pem'),
        '--collateral',
        f('collateral.json'),
        '--trust-anchor',
        f('sim-root.pem'),
        '--json',
        '--log-level',
        'silent',
        ...extra,
      ]);
    try {
      const ok = await sp([
        '--policy',
        f('policy.json'),
        '--secret',
        f('sp-public.hex'),
        '--ear-key',
        f('ear.key.pem'),
      ]);
      assert.equal(ok.code, 0, ok.stdout);
      const j = JSON.parse(ok.stdout);
      assert.equal(j.trusted && j.secretDelivered, true);
      const claims = await verifyEar(j.ear, readFileSync(f('ear.pub.pem'), 'utf8'), { now: new Date() });
      assert.equal(claims.submods.sgx?.['ear.status'], 'affirming');

      const refused = await sp(['--mr-enclave', 'ab'.repeat(32)]);
      assert.equal(refused.code, 1);
      const rj = JSON.parse(refused.stdout);
      assert.equal(rj.trusted, false);
      assert.equal(rj.verified, true);
      assert.equal(rj.accepted, false);
      assert.equal(rj.error.code, 'ERR_POLICY_MR_ENCLAVE');
      // The App finishes its side (the refusal arrives in ATT_RESULT) a moment after the SP.
      for (let i = 0; i < 200 && (app.output().stderr.match(/"msg":"session"/g) ?? []).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      const out = await app.stop();
      assert.equal(out.code, 0);
      const lines = out.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const sessions = lines.filter((l) => l.msg === 'session');
      assert.deepEqual(
        sessions.map((s) => s.outcome),
        ['secret-delivered', 'refused'],
      );
      assert.match(sessions[0].secretSha256, /^[0-9a-f]{64}$/);
      assert.equal(out.stderr.includes(readFileSync(f('sp-public.hex'), 'utf8').trim()), false);
    }
    const files = readdirSync(secretDir);
    assert.equal(files.length, 1);
    assert.equal(statSync(join(secretDir, files[0]!)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(secretDir, files[0]!), 'utf8'), readFileSync(f('sp-public.hex'), 'utf8'));
  });

  test('EPID: ias-mock --sim-epid-pub, app --quote epid --sim-epid-key, sp --ias-url --ias-ca', async () => {
    const iasDir = join(dir, 'ias');
    const mock = cliServer([
      'ias-mock',
      '--sim-epid-pub',
      f('sim-epid-group.pub.pem'),
      '--api-key',
      'k',
      '--out',
      iasDir,
      '--log-level',
      'silent',
    ]);
    const { url } = await mock.ready;
    const wrongMock = cliServer(['ias-mock', '--out', join(dir, 'ias-wrong'), '--log-level', 'silent']);
    const wrong = await wrongMock.ready;
    const app = cliServer([
      'app',
      '--port',
      '0',
      '--tls-cert',
      f('app-tls.crt.pem'),
      '--tls-key',
      f('app-tls.key.pem'),
      '--sp-public-key',
      f('sp-public.pem'),
      '--quote',
      'epid',
      '--sim-epid-key',
      f('sim-epid-group.key.pem'),
      '--log-level',
      'silent',
    ]);
    const { port } = await app.ready;
    const base = [
      'sp',
      '--connect',
      `127.0.0.1:${port}`,
      '--tls-ca',
      f('app-tls.crt.pem'),
      '--signing-key',
      f('sp-signing.key.pem'),
      '--policy',
      f('policy.json'),
      '--json',
      '--log-level',
      'silent',
    ];
    try {
      const ok = await cli([
        ...base,
        '--ias-url',
        `${url}/attestation/v5/`,
        '--ias-api-key',
        'k',
        '--ias-ca',
        join(iasDir, 'ias-report-signing-ca.pem'),
        '--spid',
        '00'.repeat(16),
      ]);
      assert.equal(ok.code, 0, ok.stdout);
      const j = JSON.parse(ok.stdout);
      assert.equal(j.quoteType, 'epid');
      assert.equal(j.iasStatus, 'OK');
      assert.equal(j.secretDelivered, true);

      // A mock that does not know the group key answers SIGNATURE_INVALID: refused.
      const forged = await cli([
        ...base,
        '--ias-url',
        `${wrong.url}/attestation/v4/`,
        '--ias-api-key',
        'k',
        '--ias-ca',
        join(dir, 'ias-wrong', 'ias-report-signing-ca.pem'),
      ]);
      assert.equal(forged.code, 1, forged.stdout);
      assert.equal(JSON.parse(forged.stdout).error.code, 'ERR_IAS_QUOTE_STATUS');

      // No IAS settings: an EPID quote cannot be verified, a configuration error.
      const noIas = await cli(base);
      assert.equal(noIas.code, 2, noIas.stdout);
      assert.equal(JSON.parse(noIas.stdout).error.code, 'ERR_CONFIG_IAS_REQUIRED');
    } finally {
      await app.stop();
      await mock.stop();
      await wrongMock.stop();
    }
  });
});
