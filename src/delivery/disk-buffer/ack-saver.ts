// Saving the acknowledged position to ack.json (the disk buffer's checkpoint): when it moved, on a
// timer and when pushes wait for room; a failure is logged once until a save works again.

import { writeAckFile } from './ack-file.ts';

export class AckSaver {
  /** The position in ack.json (-1: not saved by this run). */
  saved = -1;
  private lastError: string | undefined;
  private readonly dir: string;
  private readonly durable: boolean;
  private readonly log: (message: string) => void;

  /** `durable`: fsync the file before renaming it into place. */
  constructor(dir: string, durable: boolean, log: (message: string) => void) {
    this.dir = dir;
    this.durable = durable;
    this.log = log;
  }

  /** Save `position` if it moved. */
  save(position: number): void {
    if (position === this.saved) return;
    try {
      writeAckFile(this.dir, position, this.durable);
      this.saved = position;
      if (this.lastError !== undefined) this.log(`disk buffer ${this.dir}: checkpoint saved again`);
      this.lastError = undefined;
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.lastError)
        this.log(
          `disk buffer ${this.dir}: cannot save the checkpoint: ${msg} (acknowledged segments are still deleted; a restart may send the rest of the first segment again)`,
        );
      this.lastError = msg;
    }
  }

  /** The last save, at shutdown: written whether it moved or not; a failure is logged. */
  saveAtClose(position: number): void {
    try {
      writeAckFile(this.dir, position, this.durable);
      this.saved = position;
    } catch (err) {
      this.log(`disk buffer ${this.dir}: cannot save the checkpoint: ${(err as Error).message}`);
    }
  }
}
