/**
 * Files mapped into memory by the native addon (mmap, MAP_SHARED). Node has no mmap of its
 * own; a mapping lets training read a frame cache of many gigabytes in place, shared by every
 * process that maps the same file, without copying it into the JavaScript heap.
 */
import { loadAddon } from "../train/addon.js";

export interface MapFileOptions {
  /**
   * Map read-write: writes through the buffer reach the file (and every other mapping of it).
   * @default false
   */
  writable?: boolean;
}

interface MappedFileAddon {
  mapFile(path: string, options?: MapFileOptions): ArrayBuffer;
}

/**
 * Maps the whole of `path` into an ArrayBuffer of the file's size. The mapping is released when
 * the buffer is garbage-collected. Throws an Error naming the path and the system error when
 * the file cannot be opened or mapped, or is empty.
 *
 * Writing into a read-only mapping kills the process with SIGSEGV (the pages are PROT_READ):
 * map with `writable` to write.
 */
export function mapFile(path: string, options?: MapFileOptions): ArrayBuffer {
  // The addon's own type in train/addon.ts predates mapFile; this is the one place that adds it.
  const addon = loadAddon() as unknown as MappedFileAddon;
  return addon.mapFile(path, options);
}
