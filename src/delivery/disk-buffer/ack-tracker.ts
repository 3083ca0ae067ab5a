// The contiguous acknowledged position: acks arrive in any order (batches finish out of order,
// retries), the position only moves past an id once every id below it is acked.

export interface AckTracker {
  /** Every id below this is acknowledged. */
  readonly position: number;
  /** Acks above the position waiting for a gap to close. */
  readonly waiting: number;
  /** Returns true when the position moved. An id below the position (already skipped) is ignored. */
  ack(id: number): boolean;
  /** Whether `id` is acknowledged. */
  acked(id: number): boolean;
  /** Treat every id below `id` as acknowledged (records dropped with their segment). */
  skipTo(id: number): boolean;
}

export function createAckTracker(start: number): AckTracker {
  let position = start;
  const above = new Set<number>();

  function advance(): void {
    while (above.delete(position)) position++;
  }

  return {
    get position() {
      return position;
    },
    get waiting() {
      return above.size;
    },
    ack(id) {
      if (id < position) return false;
      if (id !== position) {
        above.add(id);
        return false;
      }
      position++;
      advance();
      return true;
    },
    acked(id) {
      return id < position || above.has(id);
    },
    skipTo(id) {
      if (id <= position) return false;
      position = id;
      for (const a of above) if (a < position) above.delete(a);
      advance();
      return true;
    },
  };
}
