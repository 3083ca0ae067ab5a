// One Forward client connection: bytes → whole messages (framer) → entries → `ingest`, one message
// at a time. While a message waits for room in full exporter queues nothing more is read from the
// socket, so TCP holds the client back. `{ack: chunk}` is written only once every event of the
// message was taken (accepted by every exporter's queue, or rejected and dead-lettered).
// Protocol errors (garbage, wrong types, oversized or truncated messages) close this connection
// with a logged reason and one rejection counted with its origin; other connections go on. A
// connection closed in the middle of a message (client gone, idle timeout, socket error, shutdown)
// is one rejection too, its first bytes dead-lettered (base64): never only a log line.

import type { Socket } from 'node:net';
import type { RefusalCounts } from '../listener-guard.ts';
import { encode } from '@msgpack/msgpack';
import type { Origin } from '../../model/records.ts';
import type { InputRecord } from '../read-records.ts';
import type { Ingest } from '../types.ts';
import { FrameError, MsgpackFramer } from './framer.ts';
import type { Handshake, HeloState } from './handshake.ts';
import {
  decodeFrame,
  extensionCodec,
  parseMessage,
  ProtocolError,
  type ForwardMessage,
  type Mode,
} from './protocol.ts';
import { tagMismatch, toInputRecord } from './records.ts';
import { toLogger } from '../../util/log.ts';

/** Why a connection ended (a metric label). */
export type CloseReason =
  | 'client_closed'
  | 'idle_timeout'
  | 'message_timeout'
  | 'protocol_error'
  | 'too_large'
  | 'truncated'
  | 'auth_failed'
  | 'socket_error'
  | 'shutdown';

export interface ForwardStats {
  /** refused: connections refused or cut by a timeout, all reasons (= sum of refusedBy). */
  connections: {
    accepted: number;
    refused: number;
    refusedBy: RefusalCounts;
    active: number;
    closed: Partial<Record<CloseReason, number>>;
  };
  messages: Partial<Record<Mode | 'heartbeat', number>>;
  acks: number;
  handshakes: { ok: number; failed: number };
  /** Events accepted by every queue / rejected / waiting in a full queue at shutdown / refused at shutdown. */
  events: { accepted: number; rejected: number; waiting: number; refused: number };
}

export function emptyStats(): ForwardStats {
  return {
    connections: { accepted: 0, refused: 0, refusedBy: {}, active: 0, closed: {} },
    messages: {},
    acks: 0,
    handshakes: { ok: 0, failed: 0 },
    events: { accepted: 0, rejected: 0, waiting: 0, refused: 0 },
  };
}

export interface ConnectionContext {
  ingest: Ingest;
  log(line: string): void;
  stats: ForwardStats;
  /**
   * Aborted when the source closes. Only read, never listened to: ingest listens to the signal it
   * is given, and one listener per message on a long-lived signal would pile up.
   */
  closing: AbortSignal;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  /** A started message must complete within this (0 = never). */
  messageTimeoutMs: number;
  /** A connection cut for a reason that counts as a refusal (message_timeout). */
  refused(reason: 'message_timeout', peer: string, why: string): void;
  handshake?: Handshake;
  tagFilter?: { pattern: string; test(tag: string): boolean };
}

export interface Connection {
  readonly peer: string;
  /** Ends the connection: at once when it is between messages, else after the current message. */
  end(): void;
  readonly done: Promise<void>;
}

const ENCODE = { extensionCodec };
/** Acks written but not read by the client, at most (then the connection is closed). */
const MAX_UNREAD_ANSWER_BYTES = 1024 * 1024;
/** Most of an unfinished message kept (as base64) in the dead letter. */
export const MAX_KEPT_UNFINISHED_BYTES = 4096;
/** Closes that can cut a message being received, as the rejection's reason words them. */
const CUT_BY: Partial<Record<CloseReason, string>> = {
  idle_timeout: 'idle timeout (no whole message for idle_timeout_ms)',
  message_timeout: 'message timeout (not complete within message_timeout_ms)',
  shutdown: 'shutdown',
  socket_error: 'socket error',
};

export function serveConnection(socket: Socket, id: number, ctx: ConnectionContext): Connection {
  const peer = peerOf(socket);
  const detailBase = `${peer} #${id}`;
  const st = ctx.stats;
  const framer = new MsgpackFramer(ctx.maxMessageBytes);
  let entryNo = 0;
  let busy = false;
  let ended = false;
  /** The signal of the message being taken: aborted by end() (source closing). */
  let current: AbortController | undefined;
  let closeReason: CloseReason | undefined;
  /** The rejection of an unfinished message being ingested (awaited before the connection is done). */
  let unfinished: Promise<void> | undefined;
  /** Pending bytes are not one unfinished message (shutdown cut a message being taken): not reported as one. */
  let pendingNotAMessage = false;

  const origin = (detail: string): Origin => ({ source: 'forward', line: entryNo, detail });

  function finish(reason: CloseReason, destroy = false): void {
    closeReason ??= reason;
    if (ended) return;
    ended = true;
    const cut = CUT_BY[reason];
    if (cut !== undefined && framer.pendingBytes > 0 && !pendingNotAMessage) unfinished = rejectUnfinished(cut);
    if (destroy) {
      socket.destroy();
      return;
    }
    socket.end();
    socket.resume(); // discard what a client still sends; its bytes are not read any more
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  /** A protocol error: counted as one rejected input with its origin (dead-lettered), then closed. */
  async function refuse(code: 'malformed_msgpack' | 'too_large', reason: CloseReason, text: string): Promise<void> {
    toLogger(ctx.log).warn(`forward: ${detailBase}: closing: ${text}`);
    entryNo++;
    const rec: InputRecord = {
      kind: 'error',
      code,
      reason: `${text} (connection closed)`,
      origin: origin(`${detailBase}, message after entry ${entryNo - 1}`),
    };
    const r = await ctx.ingest([rec]);
    st.events.rejected += r.rejected.length;
    finish(reason);
  }

  /**
   * The bytes of a message the connection ended in the middle of: one rejected input with its
   * origin (`malformed_msgpack`, as any truncated msgpack), the first bytes in the dead letter.
   */
  async function rejectUnfinished(why: string): Promise<void> {
    const total = framer.pendingBytes;
    const head = framer.pendingHead(MAX_KEPT_UNFINISHED_BYTES);
    entryNo++;
    const kept = head.length < total ? `its first ${head.length} bytes are` : 'they are';
    const rec: InputRecord = {
      kind: 'error',
      code: 'malformed_msgpack',
      reason: `${why}: connection closed in the middle of a message (${total} bytes received); ${kept} in the dead letter (base64)`,
      origin: origin(`${detailBase}, message after entry ${entryNo - 1}`),
      text: head.toString('base64'),
    };
    try {
      const r = await ctx.ingest([rec]);
      st.events.rejected += r.rejected.length;
    } catch (err) {
      toLogger(ctx.log).error(
        `forward: ${detailBase}: cannot report the unfinished message (${total} bytes): ${(err as Error).message}`,
      );
    }
  }

  async function onMessage(m: ForwardMessage): Promise<boolean> {
    st.messages[m.mode] = (st.messages[m.mode] ?? 0) + 1;
    const detail = `${detailBase} tag ${m.tag}`;
    const wrongTag = ctx.tagFilter !== undefined && !ctx.tagFilter.test(m.tag);
    const records: InputRecord[] = m.entries.map((e) => {
      entryNo++;
      return wrongTag
        ? tagMismatch(e.record, m.tag, ctx.tagFilter!.pattern, origin(detail))
        : toInputRecord(e.record, origin(detail));
    });
    busy = true;
    current = new AbortController();
    if (ctx.closing.aborted) current.abort();
    const r =
      records.length === 0
        ? undefined
        : await ctx
            .ingest(records, {
              signal: current.signal,
              refuseRestAs:
                'not accepted: the forward source is shutting down (no ack sent; the client resends when it waits for acks)',
            })
            .finally(() => {
              busy = false;
            });
    busy = false;
    progressed(); // time spent waiting for queue room is not the client's idleness
    if (r !== undefined) {
      st.events.accepted += r.accepted;
      st.events.rejected += r.rejected.length;
      st.events.waiting += r.waiting;
      st.events.refused += r.refused;
      if (r.interrupted) {
        pendingNotAMessage = true;
        finish('shutdown');
        return false;
      }
    }
    if (m.chunk !== undefined && !socket.destroyed) {
      if (socket.writableLength > MAX_UNREAD_ANSWER_BYTES) {
        // a client that asks for acks and never reads them would make us buffer without bound
        toLogger(ctx.log).warn(
          `forward: ${detailBase}: closing: the client does not read its acks (${socket.writableLength} bytes unread)`,
        );
        finish('protocol_error');
        return false;
      }
      socket.write(encode({ ack: m.chunk }, ENCODE));
      st.acks++;
    }
    return true;
  }

  async function run(): Promise<void> {
    let helo: HeloState | undefined;
    if (ctx.handshake !== undefined) {
      const h = ctx.handshake.helo();
      helo = h.state;
      socket.write(encode(h.message, ENCODE));
    }
    // destroyOnReturn false: leaving the loop must not cut a PONG or an ack being written
    const chunks = socket.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    try {
      for await (const chunk of chunks) {
        if (ended) break;
        framer.push(chunk);
        for (let frame = framer.next(); frame !== undefined && !ended; frame = framer.next()) {
          progressed();
          const msg = decodeFrame(frame, ctx.maxMessageBytes);
          if (helo !== undefined) {
            const res = ctx.handshake!.checkPing(msg, helo);
            socket.write(encode(res.pong, ENCODE));
            if (!res.ok) {
              st.handshakes.failed++;
              toLogger(ctx.log).warn(
                `forward: ${detailBase}: handshake refused: ${res.reason}${res.client ? ` (client ${res.client})` : ''}`,
              );
              finish('auth_failed');
              return;
            }
            st.handshakes.ok++;
            helo = undefined;
            continue;
          }
          if (msg === null) {
            st.messages.heartbeat = (st.messages.heartbeat ?? 0) + 1;
            continue;
          }
          if (!(await onMessage(parseMessage(msg, frame, { maxBytes: ctx.maxMessageBytes })))) return;
        }
        if (framer.pendingBytes > 0) messageStarted(); // part of the next message is here: its clock runs
      }
      if (ended) return;
      if (framer.pendingBytes > 0) {
        toLogger(ctx.log).warn(
          `forward: ${detailBase}: closing: connection ended in the middle of a message (${framer.pendingBytes} bytes received)`,
        );
        await rejectUnfinished('client closed');
        finish('truncated');
        return;
      }
      finish(ctx.closing.aborted ? 'shutdown' : 'client_closed');
    } catch (err) {
      if (err instanceof FrameError || err instanceof ProtocolError) {
        await refuse(err.code, err.code === 'too_large' ? 'too_large' : 'protocol_error', err.message);
        return;
      }
      if (ended) return;
      const e = err as NodeJS.ErrnoException;
      toLogger(ctx.log).warn(
        `forward: ${detailBase}: connection error: ${e.code ?? e.message}${framer.pendingBytes > 0 ? ` (${framer.pendingBytes} bytes of an unfinished message: rejected)` : ''}`,
      );
      finish('socket_error', true);
    }
  }

  // Idle = no WHOLE message (or handshake PING) for idle_timeout_ms, not "no byte": a client that
  // trickles a message a byte at a time (slowloris) would otherwise hold its connection for ever.
  let idleTimer: NodeJS.Timeout | undefined;
  if (ctx.idleTimeoutMs > 0) {
    idleTimer = setTimeout(function onIdle() {
      if (ended) return;
      // paused by us while the queues are full: not the client's idleness
      if (busy) {
        idleTimer!.refresh();
        return;
      }
      const pending = framer.pendingBytes;
      toLogger(ctx.log).info(
        `forward: ${detailBase}: closing: ${pending > 0 ? `no whole message for ${ctx.idleTimeoutMs} ms (${pending} bytes of an unfinished message)` : `nothing received for ${ctx.idleTimeoutMs} ms`}`,
      );
      finish('idle_timeout');
    }, ctx.idleTimeoutMs);
    idleTimer.unref();
  }
  // A message started must be complete within message_timeout_ms (idle_timeout_ms is minutes: Tracee
  // stays connected between events); the time a message waits for queue room does not count.
  let messageTimer: NodeJS.Timeout | undefined;
  const messageStarted = () => {
    if (ctx.messageTimeoutMs <= 0 || messageTimer !== undefined) return;
    messageTimer = setTimeout(function onSlow() {
      if (ended) return;
      if (busy) {
        messageTimer!.refresh();
        return;
      }
      if (framer.pendingBytes === 0) {
        messageTimer = undefined;
        return;
      }
      const why = `a message not complete within ${ctx.messageTimeoutMs} ms (${framer.pendingBytes} bytes received; message_timeout_ms)`;
      ctx.refused('message_timeout', peer, why);
      toLogger(ctx.log).info(`forward: ${detailBase}: closing: ${why}`);
      finish('message_timeout', true);
    }, ctx.messageTimeoutMs);
    messageTimer.unref();
  };
  const progressed = () => {
    idleTimer?.refresh();
    // a whole message arrived: the next one's clock starts with its first byte
    if (messageTimer !== undefined) {
      clearTimeout(messageTimer);
      messageTimer = undefined;
    }
  };
  socket.on('error', () => {
    /* reported by the read loop */
  });

  st.connections.accepted++;
  st.connections.active++;
  const done = run()
    .catch((err: Error) => {
      toLogger(ctx.log).error(`forward: ${detailBase}: internal error: ${err.message}`);
      finish('socket_error', true);
    })
    .then(() => unfinished)
    .then(
      () =>
        new Promise<void>((resolve) => {
          if (socket.closed) {
            resolve();
            return;
          }
          socket.once('close', () => resolve());
        }),
    )
    .finally(() => {
      clearTimeout(idleTimer);
      clearTimeout(messageTimer);
      st.connections.active--;
      const r = closeReason ?? 'client_closed';
      st.connections.closed[r] = (st.connections.closed[r] ?? 0) + 1;
    });

  return {
    peer,
    done,
    end() {
      if (!busy) finish('shutdown');
      // a busy connection ends once ingest returns: its waiting records are refused, no ack
      else current?.abort();
    },
  };
}

function peerOf(s: Socket): string {
  const a = s.remoteAddress ?? '?';
  return a.includes(':') ? `[${a}]:${s.remotePort}` : `${a}:${s.remotePort}`;
}
