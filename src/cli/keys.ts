/**
 * Key inputs of the CLI: the SP's public key for the App's enclave (a PEM file or the 128-hex-digit
 * SGX little-endian form) and the SP's signing key.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { type EcPrivateKey, privateKeyFromPem, publicKeyFromHex, publicKeyFromPem } from '../crypto/p256.ts';
import { ConfigError, isAttestError } from '../errors.ts';
import { readPemOrThrow, readTextOrThrow } from './io.ts';

const SGX_PUBLIC_HEX = /^(?:0x)?[0-9a-fA-F]{128}$/;

/**
 * `--sp-public-key F|HEX`: 128 hex digits (gx‖gy little-endian, as `keygen` writes to
 * `sp-public.hex`), or a file holding either that hex or a PEM public key.
 */
export function loadSpPublicKey(value: string): Uint8Array {
  const v = value.trim();
  let text = v;
  if (!SGX_PUBLIC_HEX.test(v)) {
    if (!existsSync(v)) {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        'setting "spPublicKey": neither 128 hex digits nor a readable file',
        {
          hint: 'pass the sp-public.hex or sp-public.pem that `attestkit keygen` wrote',
        },
      );
    }
    text = readTextOrThrow(v, 'SP public key').trim();
  }
  try {
    if (SGX_PUBLIC_HEX.test(text)) return publicKeyFromHex(text.replace(/^0x/i, ''));
    return publicKeyFromPem(text);
  } catch (cause) {
    if (!isAttestError(cause)) throw cause;
    throw new ConfigError('ERR_CONFIG_INVALID', `setting "spPublicKey": ${cause.message}`, { cause });
  }
}

/** `--signing-key F`: the SP's P-256 private key, PEM (PKCS#8 or SEC1). */
export function loadSigningKey(path: string): EcPrivateKey {
  const pem = readPemOrThrow(path, 'SP signing key');
  try {
    return privateKeyFromPem(pem);
  } catch (cause) {
    if (!isAttestError(cause)) throw cause;
    throw new ConfigError('ERR_CONFIG_INVALID', `setting "signingKey": ${cause.message}`, {
      cause,
      hint: 'the SP signing key must be an EC P-256 private key in PEM (attestkit keygen writes one)',
    });
  }
}
