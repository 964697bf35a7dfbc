/**
 * `attestkit/transport`: the seed's frames over TLS (PROTOCOL-SEED.md §3): a concurrent server, a
 * client with a pinned CA, deadlines and size caps. It moves frames and decides nothing; the
 * protocol state machines plug in as {@link SessionHandler}s.
 *
 * @module
 */

export {
  FrameChannel,
  type FrameChannelOptions,
  type FrameSink,
  type PeerInfo,
  TRANSPORT_CHANNELS,
  type TransportSide,
} from './channel.ts';
export { connectFrameChannel, type FrameClientOptions, runClientSession } from './client.ts';
export {
  type ApplicationServer,
  type ApplicationServerOptions,
  type AppSessionReport,
  type RaMessageInfo,
  runServiceProvider,
  type ServiceProviderRun,
  type ServiceProviderRunOptions,
  startApplicationServer,
} from './ra-session.ts';
export {
  DEFAULT_MAX_CONNECTIONS,
  type FrameServer,
  type FrameServerOptions,
  startFrameServer,
} from './server.ts';
export {
  DEFAULT_TIMEOUTS,
  resolveTimeouts,
  runSession,
  type SessionEnd,
  type SessionHandler,
  type SessionStep,
  type TransportLimits,
  type TransportTimeouts,
} from './session.ts';
