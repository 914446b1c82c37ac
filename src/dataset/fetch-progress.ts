/**
 * Progress of a dataset fetch, counted over the files training needs: those found in the cache
 * count as done at once, so `bytesDone` reaches `bytesTotal` however much was downloaded.
 */
import type { ListedFile } from "./download-blob.js";

export interface FetchProgress {
  filesDone: number;
  filesTotal: number;
  /** Bytes of the files in place so far, those found in the cache included. */
  bytesDone: number;
  bytesTotal: number;
}

/** Reports below this many new bytes of one file are held back, so a big file reports rarely. */
const REPORT_EVERY_BYTES = 4 * 1024 * 1024;

/** Counts files and bytes for `onProgress`. */
export class ProgressTally {
  private readonly bytesByPath = new Map<string, number>();
  private readonly reportedByPath = new Map<string, number>();
  private filesDone = 0;
  private bytesDone = 0;
  private readonly bytesTotal: number;

  constructor(
    private readonly files: ListedFile[],
    private readonly onProgress: ((progress: FetchProgress) => void) | undefined,
  ) {
    this.bytesTotal = files.reduce((total, file) => total + file.size, 0);
  }

  bytes(file: ListedFile, bytesOnDisk: number): void {
    this.bytesDone += bytesOnDisk - (this.bytesByPath.get(file.path) ?? 0);
    this.bytesByPath.set(file.path, bytesOnDisk);
    if (bytesOnDisk - (this.reportedByPath.get(file.path) ?? 0) < REPORT_EVERY_BYTES) return;

    this.reportedByPath.set(file.path, bytesOnDisk);
    this.report();
  }

  done(file: ListedFile): void {
    this.bytes(file, file.size);
    this.filesDone += 1;
    this.report();
  }

  private report(): void {
    this.onProgress?.({
      filesDone: this.filesDone,
      filesTotal: this.files.length,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
    });
  }
}
