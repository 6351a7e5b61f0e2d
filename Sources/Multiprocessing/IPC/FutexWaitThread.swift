import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One of ``FutexWaitCenter``'s threads: sleeps in `futex_waitv` on the words its tasks wait
/// for, plus a private control word that registrations and cancellations bump so that it
/// rebuilds its list, and resumes each task whose word changed or whose deadline passed.
final class FutexWaitThread: Sendable {
    /// `futex_waitv` takes at most 128 words; one is the control word.
    static let capacity = 127

    private struct Key: Hashable {
        var address: UInt
        var expected: UInt32
    }

    private enum Phase {
        /// Registered by a task that has not suspended yet.
        case reserved
        case waiting(CheckedContinuation<WaitOutcome, Never>)
        /// Cancelled before the task suspended: it resumes as soon as it tries to.
        case cancelled
    }

    private struct Entry {
        var key: Key
        var deadline: UInt64
        var phase: Phase
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        /// The distinct words waited on, with how many entries wait on each.
        var keys: [Key: Int] = [:]
        var nextID: UInt64 = 1

        mutating func remove(_ id: UInt64) {
            guard let entry = entries.removeValue(forKey: id) else { return }
            if let count = keys[entry.key], count > 1 {
                keys[entry.key] = count - 1
            } else {
                keys[entry.key] = nil
            }
        }
    }

    private let state = Mutex(State())
    private let control: SharedWord32

    init() {
        let word = UnsafeMutableRawPointer.allocate(byteCount: 4, alignment: 4)
        word.storeBytes(of: 0, as: UInt32.self)
        // Never freed: the thread that sleeps on it lives as long as the process.
        control = SharedWord32(word)
    }

    func start() {
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<FutexWaitThread>.fromOpaque(raw!).takeRetainedValue()
            me.run()
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(result == 0, "swift-multiprocessing: cannot start its futex wait thread (error \(result))")
        pthread_detach(thread)
    }

    // MARK: Registration (any thread)

    /// Reserves a slot for a task about to wait; nil when this thread has no room for the word.
    func reserve(address: UInt, expected: UInt32, deadline: Deadline) -> UInt64? {
        state.withLock { state in
            let key = Key(address: address, expected: expected)
            if state.keys[key] == nil && state.keys.count >= Self.capacity { return nil }
            state.keys[key, default: 0] += 1
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(key: key, deadline: deadline.nanoseconds, phase: .reserved)
            return id
        }
    }

    /// The reserving task has suspended: hands its continuation over.
    func attach(id: UInt64, continuation: CheckedContinuation<WaitOutcome, Never>) {
        let cancelled = state.withLock { state -> Bool in
            guard let entry = state.entries[id] else { return true }
            if case .cancelled = entry.phase {
                state.remove(id)
                return true
            }
            state.entries[id]?.phase = .waiting(continuation)
            return false
        }
        if cancelled {
            continuation.resume(returning: .cancelled)
        } else {
            poke()
        }
    }

    /// The task was cancelled: resumes it now if it waits.
    func cancel(id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<WaitOutcome, Never>? in
            guard let entry = state.entries[id] else { return nil }
            switch entry.phase {
            case .reserved:
                state.entries[id]?.phase = .cancelled
                return nil
            case let .waiting(continuation):
                state.remove(id)
                return continuation
            case .cancelled:
                return nil
            }
        }
        if let continuation {
            continuation.resume(returning: .cancelled)
            poke()
        }
    }

    /// Makes the thread rebuild its list of words.
    private func poke() {
        control.add(1)
        _ = cmp_ipc_futex_wake_private(control.futexAddress, 1)
    }

    // MARK: The thread

    private func run() -> Never {
        cmp_ipc_name_this_thread("mp-futex-wait")
        var words: [UnsafeMutablePointer<UInt32>?] = []
        var expected: [UInt32] = []
        var privateFlags: [UInt8] = []
        var hasWaitv = true
        while true {
            words.removeAll(keepingCapacity: true)
            expected.removeAll(keepingCapacity: true)
            privateFlags.removeAll(keepingCapacity: true)
            // Read the control word under the lock: a registration after this bumps it, and
            // futex_waitv then returns at once.
            words.append(control.futexAddress)
            expected.append(control.load())
            privateFlags.append(1)
            let deadline = state.withLock { state -> UInt64 in
                expected[0] = control.load()
                for key in state.keys.keys {
                    words.append(UnsafeMutablePointer(bitPattern: key.address))
                    expected.append(key.expected)
                    privateFlags.append(0)
                }
                var earliest = UInt64.max
                for entry in state.entries.values where entry.deadline < earliest {
                    earliest = entry.deadline
                }
                return earliest
            }
            if hasWaitv {
                let result = words.withUnsafeBufferPointer { words in
                    cmp_ipc_futex_waitv(words.baseAddress, expected, privateFlags, Int32(words.count), deadline)
                }
                if result == -ENOSYS { hasWaitv = false }
            }
            if !hasWaitv {
                // Kernels before 5.16: sleep on the control word and look every millisecond.
                let tick = cmp_monotonic_ns() &+ 1_000_000
                _ = cmp_ipc_futex_wait_private(control.futexAddress, expected[0], min(deadline, tick))
            }
            resumeReady()
        }
    }

    /// Resumes the tasks whose word changed or whose deadline passed.
    private func resumeReady() {
        let now = cmp_monotonic_ns()
        let ready = state.withLock { state -> [(CheckedContinuation<WaitOutcome, Never>, WaitOutcome)] in
            var ready: [(CheckedContinuation<WaitOutcome, Never>, WaitOutcome)] = []
            var finished: [UInt64] = []
            for (id, entry) in state.entries {
                guard case let .waiting(continuation) = entry.phase else { continue }
                // Safe to read: the waiting task is suspended and keeps the word's region mapped.
                let current = cmp_ipc_load32(UnsafeMutableRawPointer(bitPattern: entry.key.address))
                if current != entry.key.expected {
                    ready.append((continuation, .woken))
                    finished.append(id)
                } else if now >= entry.deadline {
                    ready.append((continuation, .timedOut))
                    finished.append(id)
                }
            }
            for id in finished { state.remove(id) }
            return ready
        }
        for (continuation, outcome) in ready {
            continuation.resume(returning: outcome)
        }
    }
}
