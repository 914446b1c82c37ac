// Memory-mapped files for JavaScript: Node has no mmap, and the frame cache is read in place
// by training rather than copied into the heap.
#pragma once

#include <napi.h>

// Adds `mapFile(path: string, options?: { writable?: boolean }): ArrayBuffer` to `exports`.
// The ArrayBuffer is the whole file, mapped MAP_SHARED (read-only unless `writable`); it is
// unmapped when the garbage collector frees the buffer. Writing through a read-only mapping is
// a SIGSEGV, as in C: JavaScript cannot mark an ArrayBuffer read-only, and a loud crash of the
// job's process beats a silently corrupted cache shared with other jobs.
void RegisterMappedFile(Napi::Env env, Napi::Object exports);
