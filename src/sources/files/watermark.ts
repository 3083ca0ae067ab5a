// The committed offset of one file: records are issued in file order and settle in any order;
// the watermark is the end of the longest settled prefix, i.e. the offset below which every
// record is settled (what a restart may skip). Amortised O(1) per record: two parallel arrays
// and a head index, compacted as the head moves on.

export interface Position {
  offset: number;
  line: number;
}

export class Watermark {
  private ends: number[] = [];
  private lines: number[] = [];
  private done: boolean[] = [];
  private head = 0; // index of the first unsettled record
  private base = 0; // sequence number of index 0
  private committedPos: Position;

  constructor(start: Position) {
    this.committedPos = { ...start };
  }

  /** A record ending at `end` (its line `line`) was read; returns its ticket for settle(). */
  issue(end: number, line: number): number {
    this.ends.push(end);
    this.lines.push(line);
    this.done.push(false);
    return this.base + this.ends.length - 1;
  }

  /** The record with this ticket is settled (a repeated or stale ticket is ignored). */
  settle(ticket: number): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.done.length || this.done[i]) return;
    this.done[i] = true;
    if (i !== this.head) return;
    let h = this.head;
    while (h < this.done.length && this.done[h]) h++;
    this.committedPos = { offset: this.ends[h - 1], line: this.lines[h - 1] };
    this.head = h;
    if (h >= 1024 && h * 2 >= this.done.length) this.compact();
  }

  /** Every record below this offset is settled. */
  committed(): Position {
    return this.committedPos;
  }

  /** Where the last issued record ends (undefined before the first). */
  lastIssued(): Position | undefined {
    const n = this.ends.length;
    return n === 0 ? undefined : { offset: this.ends[n - 1], line: this.lines[n - 1] };
  }

  /** Records issued and not yet settled. */
  unsettled(): number {
    return this.done.length - this.head;
  }

  private compact(): void {
    this.ends = this.ends.slice(this.head);
    this.lines = this.lines.slice(this.head);
    this.done = this.done.slice(this.head);
    this.base += this.head;
    this.head = 0;
  }
}
