// Admission: the line of pushes waiting for room, shared by the in-memory delivery (room in its
// queue) and the disk buffer (room under its byte cap). Whoever waits is admitted in order, once
// its size fits: a push never overtakes an earlier one. A reservation still waiting when its signal
// aborts leaves the line (PushWithdrawn) and holds nothing.

import { PushWithdrawn, type PushReservation } from './types.ts';

const RESOLVED: Promise<void> = Promise.resolve();
/** Admitted entries at the head are dropped now and then, as the queue does, so the line does not grow by one slot per push. */
const COMPACT_AT = 1024;

interface Waiting<T> {
  entry: T;
  size: number;
  resolve(): void;
  reject(err: Error): void;
}

export interface Room<T> {
  /** Whether `size` more fits now. */
  fits(size: number): boolean;
  /** An entry is admitted: take its room (hold it, or accept the item). */
  take(entry: T, size: number): void;
}

export class AdmissionLine<T> {
  private waiting: (Waiting<T> | undefined)[] = [];
  private head = 0;
  private readonly room: Room<T>;
  private readonly where: string;

  /** `where` names the delivery in PushWithdrawn messages. */
  constructor(room: Room<T>, where: string) {
    this.room = room;
    this.where = where;
  }

  /** Pushes waiting for room. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /** No one waits: a new push of `size` may go in at once if it fits. */
  admitsNow(size: number): boolean {
    return this.head === this.waiting.length && this.room.fits(size);
  }

  /**
   * Wait in line; resolves once `room.take` took the entry's room. Rejects with PushWithdrawn if
   * `signal` aborts first (or already did), with nothing taken.
   */
  wait(entry: T, size: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new PushWithdrawn(this.where));
    return new Promise<void>((resolve, reject) => {
      if (signal === undefined) {
        this.waiting.push({ entry, size, resolve, reject });
        return;
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(w, this.head);
        if (i < 0) return; // admitted already: the caller cancels what it holds
        this.waiting.splice(i, 1);
        reject(new PushWithdrawn(this.where));
      };
      const w: Waiting<T> = {
        entry,
        size,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.waiting.push(w);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Admit waiting entries, in order, while they fit. */
  admit(): void {
    const waiting = this.waiting;
    for (let w = waiting[this.head]; w !== undefined && this.room.fits(w.size); w = waiting[this.head]) {
      waiting[this.head++] = undefined;
      this.room.take(w.entry, w.size);
      w.resolve();
    }
    if (this.head === waiting.length && this.head > 0) this.clear();
    else if (this.head >= COMPACT_AT && this.head * 2 >= waiting.length) {
      this.waiting = waiting.slice(this.head);
      this.head = 0;
    }
  }

  /** Entries waiting that match `which`. */
  count(which: (entry: T) => boolean): number {
    let n = 0;
    for (let i = this.head; i < this.waiting.length; i++) {
      const w = this.waiting[i];
      if (w !== undefined && which(w.entry)) n++;
    }
    return n;
  }

  /** Refuse everyone waiting (shutdown); each gets its own error. */
  refuseAll(error: () => Error): void {
    const waiting = this.waiting;
    const from = this.head;
    this.clear();
    for (let i = from; i < waiting.length; i++) waiting[i]?.reject(error());
  }

  private clear(): void {
    this.waiting = [];
    this.head = 0;
  }
}

/** Room held for one item: exactly one of commit() and cancel() takes effect, once. */
export function holdReservation(commit: () => Promise<void>, cancel: () => void): PushReservation {
  let done = false;
  return {
    commit() {
      if (done) return RESOLVED;
      done = true;
      return commit();
    },
    cancel() {
      if (done) return;
      done = true;
      cancel();
    },
  };
}
