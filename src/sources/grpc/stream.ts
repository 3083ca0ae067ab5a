// Tracee's StreamEvents as an endless stream of input records: one call at a time; when the call
// ends (Tracee restarted, the socket went away, the server closed the stream, an error status),
// call again after an exponential backoff with jitter, until the signal aborts.
//
// Tracee's stream has no acknowledgement and no resume point: the events it emits while no client
// is connected are not kept for us. Each disconnect is logged once with the gRPC status, and the
// reconnection with how long the stream was down (the window in which events were lost).

import * as grpc from '@grpc/grpc-js';
import type { InputRecord } from '../read-records.ts';
import { parseGrpcAddress } from './address.ts';
import { messageToRecord } from './convert.ts';
import { silentLogger, toLogger } from '../../util/log.ts';
import { STREAM_EVENTS_PATH, streamEventsMethod, type StreamEventsRequest } from './protos.ts';

/** How long a READY channel's call must live before the stream counts as connected (see below). */
const READY_GRACE_MS = 250;

export interface GrpcStreamOptions {
  /** unix:///var/run/tracee.sock, unix:/path, host:port or tcp:[host:]port. */
  address: string;
  /** Tracee policy names whose events to stream (empty: every policy). */
  policies?: string[];
  /** Field mask: proto field names to keep in each event (e.g. "name", "workload.process.pid"); empty: the whole event. */
  mask?: string[];
  /** First reconnect delay (default 500 ms); doubles per failed attempt up to reconnectMaxMs (default 30 s). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** The stream is up (channel ready or a message received): once per established stream. */
  onConnected?: () => void;
  /** A stream that was up ended (or the source stopped): once per lost stream. */
  onDisconnected?: () => void;
  /** For tests: a number in [0, 1) for the jitter. */
  random?: () => number;
}

export const GRPC_DEFAULTS = { reconnectInitialMs: 500, reconnectMaxMs: 30_000 } as const;

/** Delay before reconnect attempt `attempt` (1-based): ceiling initial × 2^(attempt-1), capped; equal jitter in [ceiling/2, ceiling]. */
export function reconnectDelay(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

export function statusText(code: number | undefined, details: string | undefined): string {
  const name = code === undefined ? 'UNKNOWN' : (grpc.status[code] ?? String(code));
  const text = details?.replace(/\.?\s*Resolution note:\s*$/, ''); // grpc-js's empty trailer
  return text && text !== name ? `${name}: ${text}` : name;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves true once the channel is READY (connected), false if the call ends first. */
function whenReady(channel: ReturnType<grpc.Client['getChannel']>, ended: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    void ended.then(() => {
      if (!settled) {
        settled = true;
        resolve(false);
      }
    });
    const check = () => {
      if (settled) return;
      let state: grpc.connectivityState;
      try {
        state = channel.getConnectivityState(true);
      } catch {
        settled = true;
        resolve(false);
        return;
      }
      if (state === grpc.connectivityState.READY) {
        settled = true;
        resolve(true);
        return;
      }
      if (state === grpc.connectivityState.SHUTDOWN) {
        settled = true;
        resolve(false);
        return;
      }
      channel.watchConnectivityState(state, Infinity, check);
    };
    check();
  });
}

export async function* streamTraceeEvents(opts: GrpcStreamOptions): AsyncGenerator<InputRecord> {
  const { target, source } = parseGrpcAddress(opts.address);
  const log = opts.log === undefined ? silentLogger : toLogger(opts.log);
  const signal = opts.signal;
  const initial = opts.reconnectInitialMs ?? GRPC_DEFAULTS.reconnectInitialMs;
  const max = Math.max(initial, opts.reconnectMaxMs ?? GRPC_DEFAULTS.reconnectMaxMs);
  const random = opts.random ?? Math.random;
  const method = streamEventsMethod();
  const request: StreamEventsRequest = {};
  if (opts.policies && opts.policies.length > 0) request.policies = opts.policies;
  // no mask (or an empty one, which Tracee treats alike): the whole event. A decoded event needs its
  // name and timestamp, so a mask always keeps them.
  if (opts.mask && opts.mask.length > 0) request.mask = { paths: [...new Set(['name', 'timestamp', ...opts.mask])] };
  const decode = method.responseDeserialize;
  const channelOptions: grpc.ChannelOptions = {
    // a fresh connection per attempt, with our timing rather than the shared pool's own backoff
    'grpc.use_local_subchannel_pool': 1,
    'grpc.initial_reconnect_backoff_ms': initial,
    'grpc.max_reconnect_backoff_ms': max,
  };

  let messageNo = 0; // over the source's life: the origin's `line`
  let connection = 0;
  let failedAttempts = 0; // consecutive attempts that delivered nothing
  let everConnected = false;
  let downSince: number | undefined; // when the last good stream ended (for the reconnect log)
  let lossLogged = false;

  while (!signal?.aborted) {
    connection++;
    const client = new grpc.Client(target, grpc.credentials.createInsecure(), channelOptions);
    const call = client.makeServerStreamRequest<StreamEventsRequest, Buffer>(
      STREAM_EVENTS_PATH,
      method.requestSerialize,
      (b: Buffer) => b,
      request,
      new grpc.Metadata(),
      {},
    );
    let endStatus: grpc.StatusObject | undefined;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => {
      resolveEnded = r;
    });
    call.on('status', (s: grpc.StatusObject) => {
      endStatus = s;
      resolveEnded();
    });
    call.on('error', () => {
      /* read through the iterator; after an early stop, the cancellation's own error */
    });
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let received = 0;
    let connected = false;
    let over = false; // this call ended: a late "channel ready" no longer counts
    const markConnected = () => {
      if (connected || over) return;
      connected = true;
      if (!everConnected)
        log.info(
          `${source}: connected, streaming events${request.policies ? ` of policies ${request.policies.join(', ')}` : ''}`,
        );
      else if (downSince !== undefined) {
        log.info(
          `${source}: reconnected after ${((Date.now() - downSince) / 1000).toFixed(1)} s${failedAttempts > 0 ? ` and ${failedAttempts} failed attempt(s)` : ''}; events Tracee emitted meanwhile are lost (its stream has no resume)`,
        );
      }
      everConnected = true;
      downSince = undefined;
      lossLogged = false;
      opts.onConnected?.();
    };
    // a READY channel counts as connected once the call has lived READY_GRACE_MS: Tracee refuses a
    // request (an unknown policy) right after the channel is up, and that is a failed attempt,
    // not a stream that came and went
    void whenReady(client.getChannel(), ended).then((ready) => {
      if (ready) setTimeout(markConnected, READY_GRACE_MS).unref();
    });
    let error: grpc.ServiceError | undefined;
    try {
      for await (const bytes of call as AsyncIterable<Buffer>) {
        markConnected();
        received++;
        messageNo++;
        yield messageToRecord(bytes, decode, {
          source,
          line: messageNo,
          detail: `connection ${connection}, message ${received}`,
        });
      }
    } catch (err) {
      error = err as grpc.ServiceError;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel(); // no-op when already ended; ends the call when the consumer stopped early
      client.close();
      over = true;
      // connected is only true once markConnected ran: one report per established stream
      if (connected) opts.onDisconnected?.();
    }
    if (signal?.aborted) break;
    const status = error
      ? statusText(error.code, error.details)
      : statusText(endStatus?.code ?? grpc.status.OK, endStatus?.details);
    if (error?.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/i.test(error.details ?? '')) {
      // a message over grpc-js's receive limit (4 MiB) ends the call: an input lost, so it is rejected with its place in the stream
      received++;
      messageNo++;
      yield {
        kind: 'error',
        code: 'too_large',
        reason: `stream message refused (${status})`,
        origin: { source, line: messageNo, detail: `connection ${connection}, message ${received}` },
      };
    }
    if (connected || received > 0) {
      // a stream that was up went away: one line per disconnect
      downSince = Date.now();
      log.warn(
        `${source}: stream ended (${status}) after ${received} message(s); reconnecting. Events Tracee emits until the stream is back are lost (no resume)`,
      );
      lossLogged = true;
      failedAttempts = received > 0 ? 0 : failedAttempts + 1;
    } else {
      failedAttempts++;
      downSince ??= Date.now();
      if (!lossLogged) {
        log.warn(`${source}: cannot stream events (${status}); retrying with backoff up to ${max} ms`);
        lossLogged = true;
      }
    }
    await sleep(reconnectDelay(Math.max(1, failedAttempts), initial, max, random()), signal);
  }
}
