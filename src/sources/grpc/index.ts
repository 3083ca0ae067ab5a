export { streamTraceeEvents, reconnectDelay, GRPC_DEFAULTS } from './stream.ts';
export type { GrpcStreamOptions } from './stream.ts';
export { parseGrpcAddress, TRACEE_DEFAULT_SOCKET } from './address.ts';
export { messageToRecord, eventToJson } from './convert.ts';
export { traceeProtos, streamEventsMethod, PROTO_DIR, LOADER_OPTIONS, STREAM_EVENTS_PATH } from './protos.ts';
