export {
  createDiskBufferedDelivery,
  openDiskBufferedDelivery,
  DISK_BUFFER_DEFAULTS,
} from './disk-buffered-delivery.ts';
export type {
  BufferWhenFull,
  DiskBufferHooks,
  DiskBufferOptions,
  DiskBufferedDelivery,
} from './disk-buffered-delivery.ts';
export type { FsyncPolicy } from './segment-writer.ts';
export type { ReviveInput } from './stored-record.ts';
export { BufferLockedError } from './lock.ts';
