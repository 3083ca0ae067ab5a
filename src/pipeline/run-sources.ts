// Start step of the pipeline: the configured sources, each by its kind (src/sources/registry.ts).
// Push sources (webhook, forward) listen first, so ready() means "Tracee may post now", and serve
// until stop(); pull sources (stdin, file, grpc) then read until their input ends or stop().

import type { PushSourceKind, SourceContext, SourceKind } from '../sources/types.ts';
import type { RunConfig } from '../config/run-config.ts';
import { toLogger, type Logger, type LogTarget } from '../util/log.ts';

export type SourceConfig = NonNullable<RunConfig['sources']>[number];

export interface SourceRunDeps {
  kinds: Readonly<Record<string, SourceKind>>;
  /** The context a source gets, for `sources[i]`. */
  context(where: string): SourceContext;
  /** A Logger (src/util/log.ts), or a plain callback that gets every message. */
  log: LogTarget;
  signal: AbortSignal;
  stop(): void;
  /** A source failed (cannot be created, cannot listen, cannot read): the run is not a success. */
  sourceError(): void;
}

/** Every source ready() lists, by list (`webhooks`, `forwards`), in config order. */
export type ListeningSources = Record<string, unknown[]>;

export interface SourceRun {
  /** Start the push sources; resolves once each listens or failed (a failure stops everything). */
  listen(): Promise<ListeningSources>;
  /** Start the pull sources. */
  pull(): void;
  /** Resolves when every source ended: pull sources read to the end or stopped, push sources closed. */
  finished(): Promise<unknown>;
  /** What sources asked to run after the deliveries drained (the file source's final checkpoint). */
  closeAtEnd(): Promise<void>;
}

/** Serve until stop(); resolves when the server finished what it had in flight and is closed. */
async function serveUntilStop(
  src: { close(): Promise<void> },
  signal: AbortSignal,
  closingLine: () => string,
  log: Logger,
): Promise<void> {
  if (!signal.aborted)
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await src.close();
  log.info(closingLine());
}

export function runSources(sources: SourceConfig[], deps: SourceRunDeps): SourceRun {
  const running: Promise<void>[] = [];
  const atEnd: Array<() => Promise<void>> = [];
  const kindOf = (s: SourceConfig) => deps.kinds[s.type]!;
  const logOf = (s: SourceConfig) => toLogger(deps.log, { component: 'source', source: s.type });
  /** The context of `sources[i]`; its log carries the source type. */
  const contextOf = (s: SourceConfig, i: number): SourceContext => {
    const ctx = deps.context(`sources[${i}]`);
    return { ...ctx, log: toLogger(ctx.log, { component: 'source', source: s.type }) };
  };
  const failed = (s: SourceConfig, err: unknown) => {
    const kind = kindOf(s);
    if (deps.signal.aborted && kind.mode === 'pull') return; // a stream destroyed by stop()
    deps.sourceError();
    logOf(s).error(
      kind.mode === 'push' ? (err as Error).message : `${kind.label(s)}: cannot read: ${(err as Error).message}`,
    );
  };
  /**
   * A push source listens before ready() and serves until stop(). One that cannot be created
   * or cannot listen stops everything: Tracee would send into the void.
   */
  function startPush(
    s: SourceConfig,
    i: number,
    kind: PushSourceKind,
    lists: ListeningSources,
  ): Promise<unknown> | undefined {
    const ctx = contextOf(s, i);
    let src: ReturnType<typeof kind.create>;
    try {
      src = kind.create(s, ctx);
    } catch (err) {
      failed(s, err);
      deps.stop();
      return undefined;
    }
    return src.listen().then(
      (address) => {
        logOf(s).info(`${s.type}: listening on ${address}`);
        const { list, handle } = kind.listening(src, address, ctx.telemetry);
        (lists[list] ??= [])[i] = handle;
        running.push(
          serveUntilStop(src, deps.signal, () => kind.closingLine(src, address), logOf(s)).catch((err) =>
            failed(s, err),
          ),
        );
      },
      (err) => {
        failed(s, err);
        deps.stop();
      },
    );
  }
  return {
    async listen() {
      const lists: ListeningSources = { webhooks: [], forwards: [] };
      const listens: Promise<unknown>[] = [];
      sources.forEach((s, i) => {
        const kind = kindOf(s);
        if (kind.mode !== 'push') return;
        const listening = startPush(s, i, kind, lists);
        if (listening) listens.push(listening);
      });
      await Promise.all(listens);
      return Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.filter((h) => h !== undefined)]));
    },
    pull() {
      sources.forEach((s, i) => {
        const kind = kindOf(s);
        if (kind.mode !== 'pull') return;
        running.push(kind.run(s, contextOf(s, i), (fn) => atEnd.push(fn)).catch((err) => failed(s, err)));
      });
    },
    finished: () => Promise.all(running),
    async closeAtEnd() {
      for (const fn of atEnd) await fn();
    },
  };
}
