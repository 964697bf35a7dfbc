/**
 * `attestkit/wire`: SGX structs, quotes, the seed's framing and protobuf messages.
 *
 * @module
 */

export * from './frame.ts';
export { bytesEqual, concatBytes, fromHex, isAllZero, reversed, toHex } from './hex.ts';
export * from './messages.ts';
export * from './quote.ts';
export * from './ra.ts';
export { ByteReader } from './reader.ts';
export * from './report.ts';
