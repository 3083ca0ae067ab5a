// The checkpoint of one file source over its run: open() makes its folder (0700) and loads it into
// the tracked files' known positions; it is then written every interval while something changed,
// and once more at close() (after the pipeline's final flush). A write that fails is logged once
// (and once more when writing works again); offsets stay in memory meanwhile.

import path from 'node:path';
import { toLogger } from '../../util/log.ts';
import { ensurePrivateDir } from '../../util/private-file.ts';
import { loadFileCheckpoint, saveFileCheckpoint } from './checkpoint-store.ts';
import type { TrackedFiles } from './tracked-files.ts';

export interface CheckpointerOptions {
  /** The checkpoint file. */
  path: string;
  /** The source's configured paths and globs (written into the checkpoint). */
  paths: string[];
  /** The folder cannot be created: error (true) or run without checkpoints, with a warning. */
  required: boolean;
  intervalMs: number;
  log(message: string): void;
}

export class FileCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private lastSaved = '';
  private lastSaveError = '';

  private readonly o: CheckpointerOptions;
  private readonly files: TrackedFiles;

  private constructor(o: CheckpointerOptions, files: TrackedFiles) {
    this.o = o;
    this.files = files;
  }

  /** The checkpointer, its file loaded and its timer started; undefined = run without checkpoints (folder not creatable, not required). */
  static async open(o: CheckpointerOptions, files: TrackedFiles): Promise<FileCheckpointer | undefined> {
    const dir = path.dirname(o.path);
    try {
      const loose = await ensurePrivateDir(dir); // 0700 when created
      if (loose !== undefined) toLogger(o.log).warn(`warning: checkpoint: ${loose}`);
    } catch (err) {
      const why = `cannot create the checkpoint folder ${dir}: ${(err as Error).message}`;
      if (o.required) throw new Error(why);
      o.log(
        `${o.paths.join(', ')}: ${why}; reading without checkpoints (set data_dir or TRACEE_EXPORTER_DATA_DIR, or checkpoint: false)`,
      );
      return undefined;
    }
    const cp = await loadFileCheckpoint(o.path);
    if (cp.problem !== undefined) o.log(`${o.path}: checkpoint ${cp.problem}: ignored, files are read from the start`);
    files.load(cp.entries, cp.existed);
    const c = new FileCheckpointer(o, files);
    c.timer = setInterval(() => {
      void c.saveSoon();
    }, o.intervalMs);
    c.timer.unref();
    return c;
  }

  /** Writes the checkpoint now (after the deliveries flushed: the final commit) and stops the timer. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.saveSoon();
  }

  /** One write at a time, in order. */
  private saveSoon(): Promise<void> {
    return (this.saving = this.saving.then(() => this.save()));
  }

  private async save(): Promise<void> {
    await this.files.refreshFingerprints();
    const files = this.files.entries();
    const text = JSON.stringify(files);
    if (text === this.lastSaved) return;
    const { path: file, log } = this.o;
    try {
      await saveFileCheckpoint(file, { version: 1, paths: this.o.paths, written_at: new Date().toISOString(), files });
      this.lastSaved = text;
      if (this.lastSaveError !== '') log(`${file}: checkpoint written again`);
      this.lastSaveError = '';
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.lastSaveError)
        log(
          `${file}: cannot write the checkpoint: ${msg} (offsets are kept in memory; a restart may read records again)`,
        );
      this.lastSaveError = msg;
    }
  }
}
