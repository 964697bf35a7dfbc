import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import { decodePemBlocks, encodePem, MAX_PEM_BLOCKS, splitPem, urlDecodePem } from '../../src/pki/pem.ts';
import { quoteChainPem, vector, vectorText } from './helpers.ts';

const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;

describe('PEM', () => {
  test('the PCK chain in phala sgx_quote splits into three certificates', () => {
    const blocks = splitPem(quoteChainPem('phala-dcap-qvl/sgx_quote'));
    assert.equal(blocks.length, 3);
    for (const b of blocks) assert.equal(b.label, 'CERTIFICATE');
    // The third is the Intel SGX Root CA, byte-identical to phala's TrustedRootCA.der.
    assert.deepEqual(blocks[2]!.der, vector('phala-dcap-qvl/TrustedRootCA.der'));
  });

  test('bytes input, NUL terminators and CRLF line ends are accepted', () => {
    const pem = quoteChainPem('phala-dcap-qvl/sgx_quote').replace(/\n/g, '\r\n');
    const bytes = new Uint8Array(Buffer.from(`${pem}\n\0`, 'latin1'));
    assert.equal(decodePemBlocks(bytes).length, 3);
  });

  test('encodePem round-trips', () => {
    const der = vector('phala-dcap-qvl/TrustedRootCA.der');
    assert.deepEqual(decodePemBlocks(encodePem(der)), [der]);
    assert.deepEqual(splitPem(encodePem(der, 'X509 CRL'))[0]!.label, 'X509 CRL');
  });

  test('IAS signing-certificate header: URL-decoded into signing cert + CA', () => {
    const decoded = urlDecodePem(vectorText('oasis-core/ias/avr_certificates_urlencoded.pem'));
    const ders = decodePemBlocks(decoded);
    assert.equal(ders.length, 2);
    assert.deepEqual(ders[0], decodePemBlocks(vectorText('intel-roots/ias_report_signing_cert.pem'))[0]);
    assert.deepEqual(ders[1], decodePemBlocks(vectorText('intel-roots/ias_report_signing_ca.pem'))[0]);
  });

  const bad: { name: string; text: string }[] = [
    { name: 'no block', text: 'hello' },
    { name: 'empty', text: '' },
    { name: 'mismatched labels', text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n' },
    { name: 'missing END', text: '-----BEGIN CERTIFICATE-----\nAAAA\n' },
    { name: 'empty body', text: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n' },
    { name: 'bad base64 character', text: '-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n' },
    {
      name: 'base64 not a multiple of 4',
      text: '-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n',
    },
    {
      name: 'non-canonical base64 padding bits',
      text: '-----BEGIN CERTIFICATE-----\nAB==\n-----END CERTIFICATE-----\n',
    },
    {
      name: 'text before a block',
      text: 'junk\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    },
    {
      name: 'text after the last block',
      text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\njunk',
    },
    { name: 'lowercase label', text: '-----BEGIN certificate-----\nAAAA\n-----END certificate-----\n' },
    {
      name: 'too many blocks',
      text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'.repeat(MAX_PEM_BLOCKS + 1),
    },
  ];
  for (const c of bad) {
    test(`rejects: ${c.name}`, () => {
      assert.throws(() => splitPem(c.text), code('ERR_PEM_INVALID'));
    });
  }

  test('decodePemBlocks rejects an unexpected label', () => {
    const crl = encodePem(new Uint8Array([1, 2, 3]), 'X509 CRL');
    assert.throws(() => decodePemBlocks(crl, 'CERTIFICATE'), code('ERR_PEM_INVALID'));
  });

  test('urlDecodePem rejects malformed escapes', () => {
    assert.throws(() => urlDecodePem('-----BEGIN%2'), code('ERR_PEM_INVALID'));
    assert.throws(() => urlDecodePem('%E0%A4%A'), code('ERR_PEM_INVALID'));
  });

  test('arbitrary text: only AttestErrors escape', () => {
    const pieces = fc.constantFrom(
      '-----BEGIN CERTIFICATE-----',
      '-----END CERTIFICATE-----',
      '-----BEGIN ',
      '-----',
      '\n',
      'AAAA',
      '=',
      '%0A',
      '%',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        for (const run of [() => splitPem(text), () => urlDecodePem(text)]) {
          try {
            run();
          } catch (e) {
            if (!isAttestError(e)) throw e;
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
