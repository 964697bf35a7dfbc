/**
 * `attestkit/wire`: SGX structs, quotes, the seed's framing and protobuf messages.
 *
 * @module
 */

export { bytesEqual, concatBytes, fromHex, isAllZero, reversed, toHex } from './hex.ts';
export { ByteReader } from './reader.ts';
