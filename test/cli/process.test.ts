/**
 * The CLI as separate processes (`node --import tsx src/cli/bin.ts …`): help and version, a usage
 * error, and `keygen`, `app` and `sp` as three processes sharing a keygen folder (DCAP): trusted,
 * secret delivered, the secret file written with mode 0600, the App stopped by SIGTERM with exit 0.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageVersion } from '../../src/cli/version.ts';
import { runChild, spawnCli, tempDir } from './helpers.ts';

describe('attestkit as a process', () => {
  test('--help, --version and a usage error', async () => {
    const [help, version, usage] = await Promise.all([
      runChild(['--help']),
      runChild(['--version']),
      runChild(['sp', '--no-such-flag']),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: attestkit/);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), packageVersion());
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown option '--no-such-flag'/);
  });

  test('keygen, app and sp as separate processes (DCAP): secret delivered, file mode 0600', async () => {
    const dir = tempDir();
    const kg = await runChild(['keygen', '--out', dir]);
    assert.equal(kg.code, 0, kg.stderr);
    const secretDir = join(dir, 'secrets');
    writeFileSync(join(dir, 'secret.bin'), 'the provisioned secret');
    const app = spawnCli(
      [
        'app',
        '--port',
        '0',
        '--tls-cert',
        join(dir, 'app-tls.crt.pem'),
        '--tls-key',
        join(dir, 'app-tls.key.pem'),
        '--sp-public-key',
        join(dir, 'sp-public.hex'),
        '--secret-out',
        secretDir,
      ],
      // Settings from the environment: the simulated platform directory.
      { ATTESTKIT_SIM_DIR: dir },
    );
    let appOut = '';
    let appErr = '';
    app.stderr?.on('data', (c: Buffer) => {
      appErr += c.toString();
    });
    const port = await new Promise<number>((resolve, reject) => {
      app.stdout?.on('data', (c: Buffer) => {
        appOut += c.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(appOut);
        if (m !== null) resolve(Number(m[1]));
      });
      app.once('exit', (code) => reject(new Error(`app exited ${code}: ${appErr}`)));
    });
    try {
      const sp = await runChild([
        'sp',
        '--connect',
        `127.0.0.1:${port}`,
        '--tls-ca',
        join(dir, 'app-tls.crt.pem'),
        '--signing-key',
        join(dir, 'sp-signing.key.pem'),
        '--collateral',
        join(dir, 'collateral.json'),
        '--trust-anchor',
        join(dir, 'sim-root.pem'),
        '--policy',
        join(dir, 'policy.json'),
        '--secret',
        join(dir, 'secret.bin'),
        '--json',
      ]);
      assert.equal(sp.code, 0, sp.stdout + sp.stderr);
      const j = JSON.parse(sp.stdout);
      assert.equal(j.trusted, true);
      assert.equal(j.secretDelivered, true);
      assert.equal(j.quoteType, 'dcap');
      for (let i = 0; i < 200 && !/"msg":"session"/.test(appErr); i++)
        await new Promise((r) => setTimeout(r, 25));
    } finally {
      const exited = once(app, 'exit');
      app.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, appErr);
    }
    assert.match(appErr, /"outcome":"secret-delivered"/);
    assert.equal(appErr.includes('the provisioned secret'), false);
    const files = readdirSync(secretDir);
    assert.equal(files.length, 1);
    const file = join(secretDir, files[0]!);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'the provisioned secret');
  });
});
