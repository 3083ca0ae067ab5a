// The file source: one or more paths or globs, read once or followed (tail -F), each file with its
// own offset. With a checkpoint file, every record carries an ack; the committed offset of a file
// is the end of its longest settled prefix (watermark.ts), saved every second and at close()
// (after the pipeline's final flush). On start each file resumes at its committed offset when it
// is still the same file (device + inode + fingerprint of its first bytes); a file rotated away
// while we were down is read to its end from its rotated name (app.json → app.json.1).
//
// The parts: discovery.ts (which files), follow-path.ts (one path across rotation and truncation),
// read-file.ts + tail.ts (one open file through ingest), rotation.ts (rotated copies), resume.ts
// (where a file starts), tracked-files.ts (positions in memory), checkpointer.ts +
// checkpoint-store.ts (positions on disk). Nothing is done at construction: open() loads.

import type { Ingest } from '../types.ts';
import type { FileCheckpointEntry } from './checkpoint-store.ts';
import { FileCheckpointer } from './checkpointer.ts';
import { expandPaths, identitiesOf, isLiteralPath } from './discovery.ts';
import { followPath } from './follow-path.ts';
import type { FileReadContext } from './read-file.ts';
import { recoverRotatedWhileDown } from './rotation.ts';
import { sleep } from './tail.ts';
import { TrackedFiles, type FileProgress } from './tracked-files.ts';

export { isGlob } from './discovery.ts';
export type { FileProgress } from './tracked-files.ts';

export interface FileSourceOptions {
  /** Literal paths or globs (`*`, `?`, `[...]`, `{a,b}`, `**`). */
  paths: string[];
  follow: boolean;
  /** Files found at start when there is no checkpoint: read whole (default) or only what is appended. */
  startAt?: 'beginning' | 'end';
  maxLineBytes?: number;
  /** The checkpoint file; absent = offsets are not persisted (and records carry no ack). */
  checkpointPath?: string;
  /** The checkpoint folder cannot be created: error (true) or run without checkpoints, with a warning. */
  checkpointRequired?: boolean;
  checkpointIntervalMs?: number; // default 1000
  pollIntervalMs?: number; // default 250
  /** With follow: how often the globs are expanded again for new files (default 1000). */
  scanIntervalMs?: number;
  /** With follow: how long a file that lost its name (rotated, deleted) must stay unchanged before it is let go (default 5000). */
  quietMs?: number;
}

export interface FileSourceDeps {
  ingest: Ingest;
  log(message: string): void;
  /** A file that cannot be read (the run is not a success). */
  error(file: string, err: Error): void;
  signal: AbortSignal;
}

export interface FileSource {
  /** Makes the checkpoint folder, loads the checkpoint, reads what was rotated while down (run() opens if not yet). */
  open(): Promise<void>;
  /** Reads until the files end (no follow) or the signal aborts. */
  run(): Promise<void>;
  /** Writes the checkpoint now (after the deliveries flushed: the final commit) and stops the timer. */
  close(): Promise<void>;
  /** The entries the next checkpoint write would hold (tests, diagnostics). */
  snapshot(): FileCheckpointEntry[];
  /** The files followed now (read, or waiting for their records to settle): committed offset and size (/metrics). */
  progress(): Promise<FileProgress[]>;
}

export function createFileSource(options: FileSourceOptions, deps: FileSourceDeps): FileSource {
  const s = new FileSourceRun(options, deps);
  // plain functions: callers pass them around detached (telemetry's progress reader)
  return {
    open: () => s.open(),
    run: () => s.run(),
    close: () => s.close(),
    snapshot: () => s.snapshot(),
    progress: () => s.progress(),
  };
}

class FileSourceRun implements FileSource {
  private readonly o: FileSourceOptions;
  private readonly files: TrackedFiles;
  private readonly ctx: FileReadContext;
  private checkpointPath: string | undefined;
  private checkpointer: FileCheckpointer | undefined;
  private opening: Promise<void> | undefined;

  constructor(o: FileSourceOptions, deps: FileSourceDeps) {
    this.o = o;
    this.checkpointPath = o.checkpointPath;
    this.files = new TrackedFiles(o.checkpointPath !== undefined);
    this.ctx = {
      files: this.files,
      ingest: deps.ingest,
      signal: deps.signal,
      log: deps.log,
      error: deps.error,
      paths: o.paths,
      follow: o.follow,
      startAt: o.startAt,
      pollIntervalMs: o.pollIntervalMs ?? 250,
      quietMs: o.quietMs,
      maxLineBytes: o.maxLineBytes,
    };
  }

  snapshot(): FileCheckpointEntry[] {
    return this.files.entries();
  }

  progress(): Promise<FileProgress[]> {
    return this.files.progress();
  }

  open(): Promise<void> {
    return (this.opening ??= this.openOnce());
  }

  private async openOnce(): Promise<void> {
    if (this.checkpointPath === undefined) return;
    this.checkpointer = await FileCheckpointer.open(
      {
        path: this.checkpointPath,
        paths: this.o.paths,
        required: this.o.checkpointRequired ?? false,
        intervalMs: this.o.checkpointIntervalMs ?? 1000,
        log: this.ctx.log,
      },
      this.files,
    );
    if (this.checkpointer === undefined) {
      this.checkpointPath = undefined;
      this.files.acks = false;
      return;
    }
    await recoverRotatedWhileDown(this.ctx);
  }

  async run(): Promise<void> {
    await this.open();
    if (this.o.follow) await this.followAll();
    else await this.readAllOnce();
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
  }

  /** Without follow: every file found now, once, in name order. */
  private async readAllOnce(): Promise<void> {
    const { signal, log } = this.ctx;
    const found = await expandPaths(this.o.paths, this.checkpointPath);
    if (found.length === 0) log(`${this.o.paths.join(', ')}: no file matches`);
    await this.forgetVanished(found);
    for (const f of found) {
      if (signal.aborted) break;
      await followPath(this.ctx, f, isLiteralPath(f, this.o.paths), true).catch(this.failed(f));
    }
  }

  /** With follow: the paths expanded again every scan interval, each new file followed on its own. */
  private async followAll(): Promise<void> {
    const { signal, log } = this.ctx;
    const followers = new Map<string, Promise<void>>();
    let initialScan = true;
    while (!signal.aborted) {
      let found: string[];
      try {
        found = await expandPaths(this.o.paths, this.checkpointPath);
      } catch (err) {
        log(`${this.o.paths.join(', ')}: cannot list: ${(err as Error).message}`);
        found = [];
      }
      for (const f of found) {
        if (followers.has(f)) continue;
        const run = followPath(this.ctx, f, isLiteralPath(f, this.o.paths), initialScan)
          .catch(this.failed(f))
          .finally(() => followers.delete(f));
        followers.set(f, run);
      }
      await this.forgetVanished(found);
      initialScan = false;
      await sleep(this.o.scanIntervalMs ?? 1000, signal);
    }
    await Promise.all(followers.values());
  }

  /** Forget committed positions of files no longer found under the source's paths. */
  private async forgetVanished(found: string[]): Promise<void> {
    this.files.forgetAllBut(await identitiesOf(found));
  }

  private failed(file: string): (err: unknown) => void {
    return (err) => {
      if (!this.ctx.signal.aborted) this.ctx.error(file, err as Error);
    };
  }
}
