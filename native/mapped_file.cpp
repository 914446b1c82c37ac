// mmap behind an external ArrayBuffer. The mapping outlives the file descriptor (closed as soon
// as the mapping exists) and is released by the buffer's finalizer, so JavaScript never holds a
// pointer to unmapped memory.
#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

// Closes the descriptor on every path out of MapFile, the throwing ones included.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// "mapFile: mmap of /x failed: Cannot allocate memory (errno 12)", with a hint when one helps.
[[noreturn]] void ThrowSystemError(Napi::Env env, const char* step, const std::string& path,
                                   int error_number, const char* hint) {
  std::string message = std::string("mapFile: ") + step + " of " + path +
                        " failed: " + std::strerror(error_number) + " (errno " +
                        std::to_string(error_number) + ")";
  if (hint != nullptr) message += std::string("; ") + hint;
  throw Napi::Error::New(env, message);
}

struct Mapping {
  void* address;
  size_t length;
};

void Unmap(Napi::Env /*env*/, void* /*address*/, Mapping* mapping) {
  munmap(mapping->address, mapping->length);
  delete mapping;
}

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "mapFile(path, options?) needs a path string");
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();

  bool writable = false;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) {
      throw Napi::TypeError::New(env, "mapFile options must be an object, e.g. { writable: true }");
    }
    Napi::Value flag = info[1].As<Napi::Object>().Get("writable");
    if (!flag.IsUndefined() && !flag.IsBoolean()) {
      throw Napi::TypeError::New(env, "mapFile options.writable must be a boolean");
    }
    writable = !flag.IsUndefined() && flag.As<Napi::Boolean>().Value();
  }

  FileDescriptor fd(open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (fd.get() < 0) {
    const int open_error = errno;
    ThrowSystemError(env, "open", path, open_error,
                     open_error == ENOENT ? "check the path" : nullptr);
  }

  struct stat file_stat {};
  if (fstat(fd.get(), &file_stat) != 0) ThrowSystemError(env, "fstat", path, errno, nullptr);
  if (!S_ISREG(file_stat.st_mode)) {
    throw Napi::Error::New(env, "mapFile: " + path + " is not a regular file; map a file");
  }
  if (file_stat.st_size == 0) {
    // mmap rejects a zero length, and an empty ArrayBuffer would hide a truncated file.
    throw Napi::Error::New(env, "mapFile: " + path + " is empty (0 bytes); a mapped file " +
                                    "needs at least one byte, so write or size it first");
  }
  const size_t length = static_cast<size_t>(file_stat.st_size);

  const int protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ;
  void* address = mmap(nullptr, length, protection, MAP_SHARED, fd.get(), 0);
  if (address == MAP_FAILED) {
    const int mmap_error = errno;
    ThrowSystemError(
        env, "mmap", path, mmap_error,
        mmap_error == ENOMEM ? "the address space or vm.max_map_count is exhausted" : nullptr);
  }

  auto* mapping = new Mapping{address, length};
  try {
    return Napi::ArrayBuffer::New(env, address, length, Unmap, mapping);
  } catch (...) {
    munmap(address, length);
    delete mapping;
    throw;
  }
}

}  // namespace

void RegisterMappedFile(Napi::Env env, Napi::Object exports) {
  exports.Set("mapFile", Napi::Function::New<MapFile>(env, "mapFile"));
}
