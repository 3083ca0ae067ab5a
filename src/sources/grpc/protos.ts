// Tracee's v1beta1 protos (proto/tracee/v1beta1, our own copy of its field numbers), loaded once.
// Loader options are chosen so a decoded message is already the JSON the normalizer reads:
// proto field names (snake_case, like Tracee's own JSON), 64-bit integers as decimal strings
// (exact), enums as names (unknown numbers stay numbers: EventId, Tracee's newer enum values),
// bytes as base64, no defaults for unset fields (proto3 JSON omits them too), no virtual oneof keys
// (EventValue's oneof is called `value`, which the normalizer reads as "unset").

import { loadSync, type MethodDefinition, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { packageFile } from '../../util/package-files.ts';

export const PROTO_DIR = packageFile('proto');

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  includeDirs: [PROTO_DIR],
};

export const STREAM_EVENTS_PATH = '/tracee.v1beta1.TraceeService/StreamEvents';

export interface StreamEventsRequest {
  policies?: string[];
  mask?: { paths: string[] };
}
/** A decoded StreamEventsResponse (proto field names); `event` is absent when the message had none. */
export interface StreamEventsResponse {
  event?: Record<string, unknown>;
}

let loaded: PackageDefinition | undefined;

export function traceeProtos(): PackageDefinition {
  loaded ??= loadSync('tracee/v1beta1/tracee.proto', LOADER_OPTIONS);
  return loaded;
}

export function streamEventsMethod(): MethodDefinition<StreamEventsRequest, StreamEventsResponse> {
  const service = traceeProtos()['tracee.v1beta1.TraceeService'] as Record<
    string,
    MethodDefinition<StreamEventsRequest, StreamEventsResponse>
  >;
  return service.StreamEvents;
}
