/**
 * `attestkit/protocol`: the seed's RA protocol as sans-I/O state machines, the
 * {@link ServiceProvider} and the {@link Application}, with the quote verifier, appraiser and
 * enclave injected. A transport feeds them frames ({@link ProtocolSession}).
 *
 * @module
 */
export { Application, type ApplicationOptions, type AppState, type AppStep } from './application.ts';
export {
  appAttOkMessage,
  attestationResultFromMessage,
  attestationResultToMessage,
  decodeProtocolFrame,
  encodeProtocolMessage,
  msg1FromMessage,
  msg1ToMessage,
  msg2BytesFromMessage,
  msg2ToMessage,
  msg3BytesFromMessage,
  msg3ToMessage,
} from './convert.ts';
export {
  SEED_SECRET,
  ServiceProvider,
  type ServiceProviderOptions,
  type SpState,
  type SpStep,
  spResultOf,
} from './service-provider.ts';
export {
  type FrameStep,
  ProtocolSession,
  type ProtocolSessionOptions,
  type SessionEndInfo,
  type StateMachine,
} from './session.ts';
export type {
  Appraisal,
  AppraisalContext,
  Appraiser,
  ProtocolEvent,
  ProtocolInput,
  ProtocolMessage,
  QuoteVerifier,
  RawFrame,
  SpResult,
  Step,
} from './types.ts';
