// One shared copy of each of a few distinct strings (event names, severity words) for values that
// wait in queues: a string built per event (a prefix joined to the event's name, a name cloned from
// a worker) held by a queued record is promoted to V8's old space with it (issue #16), where one
// internalized copy per distinct value costs nothing per event.

export interface Interner {
  /** An equal string, the same one for every call with an equal string (while held). */
  (s: string): string;
  /** How many distinct strings are held now. */
  readonly held: number;
}

/** Longer strings are given back as they are: the values come from input (an event's name). */
export const INTERN_MAX_LENGTH = 256;

/**
 * An interner holding at most `max` distinct strings of at most INTERN_MAX_LENGTH characters (so at
 * most max × 256 characters, whatever the input sends); past `max` it starts again, so a stream of
 * ever-new values costs a lookup each, never unbounded memory. A longer string is not held.
 */
export function createInterner(max = 1024): Interner {
  const seen = new Map<string, string>();
  const intern = (s: string): string => {
    if (s.length > INTERN_MAX_LENGTH) return s;
    const shared = seen.get(s);
    if (shared !== undefined) return shared;
    if (seen.size >= max) seen.clear();
    // a property key is internalized: a flat copy, not the concatenation or slice `s` may be
    const copy = Object.keys({ [s]: 0 })[0] ?? s;
    seen.set(copy, copy);
    return copy;
  };
  return Object.defineProperty(intern, 'held', { get: () => seen.size }) as Interner;
}
