#include "core/call_thread.h"

#include <utility>

namespace robotrain {

CallThread::CallThread() : thread_([this] { serve(); }) {}

CallThread::~CallThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  thread_.join();
}

void CallThread::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  queued_.notify_one();
}

void CallThread::serve() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, with nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();  // a packaged task: its exception is kept for the caller, never thrown here
  }
}

}  // namespace robotrain
