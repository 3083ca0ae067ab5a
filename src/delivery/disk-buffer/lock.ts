// One process per buffer directory: a `lock` file created exclusively, holding the owner's pid. A
// lock whose pid is not alive (the owner was killed) is stale and taken over. Inside a container the
// exporter may be pid 1 on every start, so our own pid counts as stale unless this process holds it.

import fs from 'node:fs';
import path from 'node:path';

const held = new Set<string>();

export class BufferLockedError extends Error {
  readonly code = 'BUFFER_LOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'BufferLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

export interface BufferLock {
  readonly file: string;
  release(): void;
}

export function acquireLock(dir: string): BufferLock {
  const file = path.join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      held.add(file);
      return {
        file,
        release() {
          if (!held.delete(file)) return;
          try {
            fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (attempt > 0)
        throw new BufferLockedError(
          `buffer directory ${dir}: cannot take the lock ${file} (another process took it first)`,
        );
    }
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      /* removed meanwhile: retry */
    }
    const pid = Number.parseInt(text, 10);
    const ours = pid === process.pid && held.has(file);
    if (Number.isInteger(pid) && pid > 0 && (ours || (pid !== process.pid && alive(pid)))) {
      throw new BufferLockedError(
        `buffer directory ${dir} is in use by process ${pid} (lock file ${file}); two exporters must not share a buffer`,
      );
    }
    try {
      fs.unlinkSync(file);
    } catch {
      /* someone else removed it */
    }
  }
}
