/**
 * The wire layer's no-aliasing guarantee (src/wire/reader.ts), as a test assertion shared by the
 * parser tests.
 *
 * @module
 */
import assert from 'node:assert/strict';

/** Every byte field of a parse result (Uint8Arrays in nested records and arrays), with its path. */
export function byteFields(
  x: unknown,
  path: string,
  out: [string, Uint8Array][] = [],
): [string, Uint8Array][] {
  if (x instanceof Uint8Array) out.push([path, x]);
  else if (Array.isArray(x)) for (const [i, v] of x.entries()) byteFields(v, `${path}[${i}]`, out);
  else if (typeof x === 'object' && x !== null)
    for (const [k, v] of Object.entries(x)) byteFields(v, `${path}.${k}`, out);
  return out;
}

/**
 * Parses `copy(raw)`, then overwrites that input (every byte flipped): no byte field may share the
 * input's buffer, be anything but a plain Uint8Array, or change, and the record must still equal
 * a parse of `raw`.
 */
export function assertNoAlias(
  raw: Uint8Array,
  parse: (b: Uint8Array) => unknown,
  copy: (b: Uint8Array) => Uint8Array = (b) => b.slice(),
  name = 'record',
): void {
  const input = copy(raw);
  const record = parse(input);
  const fields = byteFields(record, name);
  assert.ok(fields.length > 0);
  const before = fields.map(([, f]) => f.slice());
  for (const [p, f] of fields) {
    assert.notEqual(f.buffer, input.buffer, `${p} shares the caller's buffer`);
    assert.equal(Object.getPrototypeOf(f), Uint8Array.prototype, `${p} is a plain Uint8Array`);
  }
  for (let i = 0; i < input.length; i++) input[i] = input[i]! ^ 0xff;
  fields.forEach(([p, f], i) => {
    assert.deepEqual(f, before[i], `${p} changed when the caller's buffer was overwritten`);
  });
  assert.deepEqual(record, parse(raw));
}
