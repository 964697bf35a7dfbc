/**
 * The command line's common surface: help and version, usage errors (exit 2), the exit-code mapping
 * of DESIGN.md, settings from a config file < ATTESTKIT_* env < flags, input decoding (binary or hex
 * quotes, times), `sp` refusing to trust any enclave by default, and keygen's files.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { envName, loadSettings, zList } from '../../src/cli/config.ts';
import { decodeQuoteFile, parseHostPort, parseTime } from '../../src/cli/io.ts';
import { packageVersion } from '../../src/cli/main.ts';
import { EXIT, errorJson, exitCodeFor } from '../../src/cli/output.ts';
import {
  ConfigError,
  NetworkError,
  ParseError,
  PolicyError,
  ProtocolError,
  VerificationError,
} from '../../src/errors.ts';
import { cli, tempDir, VECTORS } from './helpers.ts';

describe('cli: help, version, usage errors', () => {
  test('--help and --version exit 0', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    for (const c of ['demo', 'app', 'sp', 'verify', 'keygen', 'ias-mock', 'pccs-mock'])
      assert.match(help.stdout, new RegExp(c));
    const version = await cli(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), packageVersion());
  });

  test('every command has --help with --json and --config', async () => {
    for (const c of ['demo', 'app', 'sp', 'verify', 'keygen', 'ias-mock', 'pccs-mock']) {
      const r = await cli([c, '--help']);
      assert.equal(r.code, 0, c);
      assert.match(r.stdout, /--json/, c);
      assert.match(r.stdout, /--config <file>/, c);
    }
  });

  test('unknown command, unknown flag, missing argument and no command exit 2', async () => {
    assert.equal((await cli(['frobnicate'])).code, EXIT.USAGE);
    assert.equal((await cli(['verify', 'x', '--bogus'])).code, EXIT.USAGE);
    assert.equal((await cli(['verify'])).code, EXIT.USAGE);
    assert.equal((await cli([])).code, EXIT.USAGE);
  });

  test('an invalid setting names the field (exit 2)', async () => {
    const r = await cli(['app', '--port', 'seventy', '--json']);
    assert.equal(r.code, EXIT.USAGE);
    const j = JSON.parse(r.stdout);
    assert.equal(j.error.code, 'ERR_CONFIG_INVALID');
    assert.match(j.error.message, /port/);
  });
});

describe('cli: exit codes (DESIGN.md)', () => {
  test('stages map to 1, 2 and 3', () => {
    assert.equal(exitCodeFor(new ParseError('ERR_WIRE_TRUNCATED', 'short')), EXIT.USAGE);
    assert.equal(exitCodeFor(new ParseError('ERR_WIRE_TRUNCATED', 'short'), 'peer'), EXIT.NETWORK);
    assert.equal(exitCodeFor(new ParseError('ERR_QUOTE_UNSUPPORTED_VERSION', 'v9')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new ParseError('ERR_QUOTE_UNSUPPORTED_TEE_TYPE', 'tee')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new ParseError('ERR_QUOTE_UNSUPPORTED_BODY_TYPE', 'body')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new ConfigError('ERR_CONFIG_INVALID', 'bad')), EXIT.USAGE);
    assert.equal(exitCodeFor(new PolicyError('ERR_POLICY_INVALID', 'bad file')), EXIT.USAGE);
    assert.equal(exitCodeFor(new PolicyError('ERR_POLICY_DEBUG', 'debug')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new VerificationError('ERR_PKI_REVOKED', 'revoked')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new ProtocolError('ERR_PROTOCOL_MSG3_MAC', 'mac')), EXIT.REFUSED);
    assert.equal(exitCodeFor(new NetworkError('ERR_NET_TIMEOUT', 'slow')), EXIT.NETWORK);
    assert.equal(exitCodeFor(new Error('bug')), EXIT.USAGE);
  });

  test('error objects carry the code, the message and a hint', () => {
    const e = errorJson(new VerificationError('ERR_COLLATERAL_EXPIRED', 'TCB info expired'));
    assert.equal(e.code, 'ERR_COLLATERAL_EXPIRED');
    assert.equal(e.message, 'TCB info expired');
    assert.ok(e.hint !== undefined && e.hint.length > 0);
    assert.equal(
      errorJson(new ConfigError('ERR_CONFIG_INVALID', 'x', { hint: 'own hint' })).hint,
      'own hint',
    );
  });
});

describe('cli: settings, file < ATTESTKIT_* env < flags', () => {
  const schema = z.object({
    mrEnclave: zList.optional(),
    port: z.coerce.number().default(1),
    host: z.string().default('h'),
  });

  test('precedence and env names', () => {
    const dir = tempDir();
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 10,
        host: 'file',
        mrEnclave: ['aa'],
        sp: { host: 'sp-section' },
        app: { x: 1 },
      }),
    );
    assert.equal(envName('mrEnclave'), 'ATTESTKIT_MR_ENCLAVE');
    const fromFile = loadSettings(schema, {
      configFile: file,
      env: {},
      flags: {},
      section: 'sp',
      otherSections: ['app', 'sp'],
    });
    assert.deepEqual(fromFile, { port: 10, host: 'sp-section', mrEnclave: ['aa'] });
    const fromEnv = loadSettings(schema, {
      configFile: file,
      env: { ATTESTKIT_PORT: '20', ATTESTKIT_MR_ENCLAVE: 'bb,cc' },
      flags: {},
      section: 'sp',
      otherSections: ['app', 'sp'],
    });
    assert.deepEqual(fromEnv, { port: 20, host: 'sp-section', mrEnclave: ['bb', 'cc'] });
    const fromFlags = loadSettings(schema, {
      configFile: file,
      env: { ATTESTKIT_PORT: '20' },
      flags: { port: '30', host: undefined },
      section: 'sp',
      otherSections: ['app', 'sp'],
    });
    assert.equal(fromFlags.port, 30);
  });

  test('an unknown key in the config file is an error naming it', () => {
    const dir = tempDir();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ prot: 10 }));
    assert.throws(
      () => loadSettings(schema, { configFile: file, env: {}, flags: {} }),
      (e: ConfigError) => e.code === 'ERR_CONFIG_INVALID' && /prot/.test(e.message),
    );
  });

  test('a config file sets command settings (exit 2 for a bad one)', async () => {
    const dir = tempDir();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ verify: { at: 'not a time' } }));
    const r = await cli(['verify', join(VECTORS, 'phala-dcap-qvl/sgx_quote'), '--config', file, '--json']);
    assert.equal(r.code, EXIT.USAGE);
    assert.match(JSON.parse(r.stdout).error.message, /"at"/);
  });
});

describe('cli: input decoding', () => {
  test('quotes as binary or hex text; text that is not hex is ERR_HEX_INVALID', () => {
    const bin = Uint8Array.of(3, 0, 2, 0, 0xff);
    assert.deepEqual(decodeQuoteFile(bin), bin);
    assert.deepEqual(decodeQuoteFile(new TextEncoder().encode('0x0300 0200ff\n')), bin);
    assert.throws(
      () => decodeQuoteFile(new TextEncoder().encode('# not a quote\n')),
      (e: ParseError) => e.code === 'ERR_HEX_INVALID',
    );
    assert.throws(
      () => decodeQuoteFile(new TextEncoder().encode('abc')),
      (e: ParseError) => e.code === 'ERR_HEX_INVALID',
    );
  });

  test('--at takes ISO-8601 or Unix seconds', () => {
    assert.equal(parseTime('2025-07-19T10:01:17Z').toISOString(), '2025-07-19T10:01:17.000Z');
    assert.equal(parseTime('1752919277').toISOString(), '2025-07-19T10:01:17.000Z');
    assert.throws(
      () => parseTime('yesterday'),
      (e: ConfigError) => e.code === 'ERR_CONFIG_INVALID',
    );
  });

  test('HOST:PORT', () => {
    assert.deepEqual(parseHostPort('localhost:22222', 'connect'), { host: 'localhost', port: 22222 });
    assert.deepEqual(parseHostPort('[::1]:8', 'connect'), { host: '::1', port: 8 });
    assert.throws(
      () => parseHostPort('localhost', 'connect'),
      (e: ConfigError) => e.code === 'ERR_CONFIG_INVALID',
    );
  });
});

describe('cli: sp and keygen', () => {
  test('sp without a policy or identity flag exits 2 with ERR_CONFIG_NO_IDENTITY', async () => {
    const r = await cli([
      'sp',
      '--connect',
      '127.0.0.1:1',
      '--tls-ca',
      'x.pem',
      '--signing-key',
      'k.pem',
      '--json',
    ]);
    assert.equal(r.code, EXIT.USAGE);
    const j = JSON.parse(r.stdout);
    assert.equal(j.trusted, false);
    assert.equal(j.secretDelivered, false);
    assert.equal(j.error.code, 'ERR_CONFIG_NO_IDENTITY');
    const human = await cli(['sp', '--tls-ca', 'x.pem', '--signing-key', 'k.pem']);
    assert.equal(human.code, EXIT.USAGE);
    assert.match(human.stderr, /ERR_CONFIG_NO_IDENTITY[\s\S]*--mr-enclave/);
  });

  test('sp with an identity but an unreachable App exits 3', async () => {
    const dir = tempDir();
    const kg = await cli(['keygen', '--out', dir, '--json']);
    assert.equal(kg.code, 0);
    const r = await cli([
      'sp',
      '--connect',
      '127.0.0.1:1',
      '--tls-ca',
      join(dir, 'app-tls.crt.pem'),
      '--signing-key',
      join(dir, 'sp-signing.key.pem'),
      '--policy',
      join(dir, 'policy.json'),
      '--json',
      '--log-level',
      'silent',
    ]);
    assert.equal(r.code, EXIT.NETWORK);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_NET_UNREACHABLE');
  });

  test('keygen writes the keys, with private keys 0600, and refuses to overwrite', async () => {
    const dir = tempDir();
    const r = await cli(['keygen', '--out', dir, '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.match(j.spPublicKey, /^[0-9a-f]{128}$/);
    assert.equal(readFileSync(join(dir, 'sp-public.hex'), 'utf8').trim(), j.spPublicKey);
    for (const f of [
      'sp-signing.key.pem',
      'app-tls.key.pem',
      'sim-epid-group.key.pem',
      'qe-attestation.key.pem',
    ]) {
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    }
    for (const f of ['app-tls.crt.pem', 'collateral.json', 'sim-root.pem', 'policy.json', 'platform.json']) {
      assert.ok(statSync(join(dir, f)).size > 0, f);
    }
    const again = await cli(['keygen', '--out', dir]);
    assert.equal(again.code, EXIT.USAGE);
    assert.match(again.stderr, /--force/);
    assert.equal((await cli(['keygen', '--out', dir, '--force', '--json'])).code, 0);
  });
});
