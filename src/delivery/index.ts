export { createDelivery, PUSHED } from './delivery.ts';
export {
  createDeadLetterWriter,
  createMemoryDeadLetter,
  deadLetterHook,
  formatDeadLetterLine,
  DEAD_LETTER_DEFAULTS,
} from './dead-letter.ts';
export type {
  DeadLetter,
  DeadLetterEntry,
  DeadLetterLine,
  DeadLetterOptions,
  DeadLetterRotation,
  FileDeadLetter,
  MemoryDeadLetter,
} from './dead-letter.ts';
export { DELIVERY_DEFAULTS, resolveDeliveryOptions } from './options.ts';
export { estimateSize } from './size-estimate.ts';
export { stateChangeLine } from './health.ts';
export { systemClock } from './clock.ts';
export type * from './types.ts';
export { clearable } from './types.ts';
