// One thread that runs a trainer's calls in turn. glibc gives every thread that allocates its
// own malloc arena and keeps freed memory there; steps spread over a thread pool would hold up
// to one step's worth of host memory per pool thread (on CPU, twice a bare loop's peak RSS).
// Run on one thread, every step reuses the same arena.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace robotrain {

class CallThread {
 public:
  CallThread();
  // Finishes the calls already queued, then joins the thread.
  ~CallThread();
  CallThread(const CallThread&) = delete;
  CallThread& operator=(const CallThread&) = delete;

  // Runs `call` on the thread and waits for it: returns its result or rethrows its exception.
  template <typename Result>
  Result run(const std::function<Result()>& call) {
    std::packaged_task<Result()> task(call);
    std::future<Result> done = task.get_future();
    post([&task] { task(); });
    return done.get();
  }

 private:
  void post(std::function<void()> job);
  void serve();

  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace robotrain
