import CSupport
import Glibc

/// Runs blocking work on a thread of its own and waits for it without blocking a task.
///
/// The collector's tick and the consumers of its samples (the store's encoding, the WebSocket fan-out) run
/// here rather than on Swift's cooperative pool: that pool has one thread per core, and requests that keep it
/// busy would otherwise delay them. And a consumer woken from the tick on a thread costs the tick no
/// allocation, where resuming a waiting task does (libdispatch allocates the job's continuation on the waking
/// thread, whose per-thread cache a thread outside dispatch never refills).
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` (at most 15 characters show) and returns when it has returned.
    /// Stopping it is the body's business (see `SampleBatchPool.finish`). With no thread to be had (the
    /// process's thread limit), runs it on the calling task instead of not at all — holding one of the
    /// cooperative pool's threads for as long as the body runs, which is still better than no collection.
    public static func run(named name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let context = Unmanaged.passRetained(
                Body(name: name) {
                    body()
                    done.resume()
                })
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
                body.name.withCString { wd_name_this_thread($0) }
                body.run()
                return nil
            }, context.toOpaque())
            if created != 0 {
                context.takeRetainedValue().run()
            } else {
                pthread_detach(thread)
            }
        }
    }

    /// The thread's name and body, passed through pthread_create's context pointer.
    private final class Body {
        let name: String
        let run: () -> Void
        init(name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
