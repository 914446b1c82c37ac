/**
 * One file's content from the Hub into `blobs/<etag>` of the cache. The bytes go to an
 * `.incomplete` file first and are checked against the size and digest the tree listing gave
 * before the rename, so a blob in the cache is always whole; a retry after a cut connection, or
 * a requeued job after a worker died, asks for the missing range only.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { TransferError } from "../hub/retry-transient.js";
import type { RepoCache } from "./hub-cache.js";

/** A file as the tree listing describes it. */
export interface ListedFile {
  path: string;
  size: number;
  /** The blob's name: the sha256 of an LFS file, else the git blob id. */
  etag: string;
  lfs: boolean;
}

export interface BlobDownload {
  cache: RepoCache;
  file: ListedFile;
  /** `resolve/<commit>/<path>` of the file. */
  url: string;
  accessToken?: string;
  /** A `fetch` that rejects on answers outside 2xx (see hub-response-error.ts). */
  fetch: typeof fetch;
  /** Called as bytes land, with the count of this file's bytes on disk. */
  onBytes: (bytesOnDisk: number) => void;
}

export async function downloadBlob(download: BlobDownload): Promise<void> {
  const { cache, file } = download;
  const incomplete = cache.incompleteFile(file.etag);
  await mkdir(dirname(incomplete), { recursive: true });

  await cache.adoptAbandonedPartial(file.etag);

  // Resume what an earlier try (or a worker that died) left; a partial as long as the file, or
  // longer, failed its check or was never checked, so it starts over.
  let offset = await sizeOf(incomplete);
  if (offset >= file.size) offset = 0;
  const response = await download.fetch(download.url, {
    headers: {
      ...(download.accessToken ? { Authorization: `Bearer ${download.accessToken}` } : {}),
      ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
      "Accept-Encoding": "identity",
    },
  });
  if (response.status !== 206) offset = 0;

  const digest = await startDigest(file, offset > 0 ? incomplete : undefined);
  let bytesOnDisk = offset;
  const tally = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      bytesOnDisk += chunk.length;
      download.onBytes(bytesOnDisk);
      done(null, chunk);
    },
  });
  const body = response.body ?? new globalThis.ReadableStream<Uint8Array>();
  await pipeline(
    Readable.fromWeb(body as ReadableStream<Uint8Array>),
    tally,
    createWriteStream(incomplete, { flags: offset > 0 ? "a" : "w" }),
  );

  await checkWhole(incomplete, file, bytesOnDisk, digest.digest("hex"));
  await rename(incomplete, cache.blobFile(file.etag));
}

/** sha256 for LFS files; git's blob id (sha1 over a `blob <size>\0` header) for the others. */
async function startDigest(file: ListedFile, partial: string | undefined): Promise<Hash> {
  const digest = createHash(file.lfs ? "sha256" : "sha1");
  if (!file.lfs) digest.update(`blob ${file.size}\0`);
  if (partial !== undefined) {
    for await (const chunk of createReadStream(partial)) digest.update(chunk as Buffer);
  }
  return digest;
}

async function checkWhole(incomplete: string, file: ListedFile, size: number, digest: string) {
  if (size === file.size && digest === file.etag) return;

  // A wrong blob must never be renamed into place: the cache would serve it to every job.
  await rm(incomplete, { force: true });
  throw new TransferError(
    `${file.path} arrived with ${size} bytes and digest ${digest}; the Hub listed ` +
      `${file.size} bytes and ${file.etag}`,
  );
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
