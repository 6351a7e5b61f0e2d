import CMultiprocessing
import DequeModule
import Metrics
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A pool's supervisor: the one owner of its workers, calls and queues, living on the reactor
/// thread (as CPython's process pool has one manager thread that owns all state). The public
/// ``ProcessPool`` posts to it; it answers through each call's ``ResultSink``.
final class PoolCore: @unchecked Sendable {
    // @unchecked: every stored property is used only on the reactor thread; the public side
    // reaches this object only through `reactor.execute`.

    enum State { case running, closing, terminating, broken(String) }

    let reactor: Reactor
    let configuration: PoolConfiguration
    private(set) var state = State.running
    var slots: [WorkerSlot] = []
    var calls: [UInt64: CallState] = [:]
    /// Calls with pending tasks, served round-robin.
    var readyCalls = Deque<UInt64>()
    var jobs = JobTable()
    private var nextTaskID: UInt64 = 1
    private(set) var initializerJobID: UInt32?
    private var consecutiveStartupFailures = 0
    private var recentCrashes = Deque<UInt64>()
    private var respawnsScheduled = 0
    /// The retry after a transient spawn failure, while one is pending (see spawnFailedTransiently).
    private var spawnRetryTimer: UInt64?
    /// How many retries in a row have failed: the back-off's exponent.
    private var spawnRetryLevel = 0
    private var timeoutTimer: UInt64?
    /// A worker kept from new tasks so that an isolated one gets it empty.
    private(set) weak var reservedSlot: WorkerSlot?
    private var joinWaiters: [CheckedContinuation<Void, Never>] = []
    /// Counts over the pool's life, for ``ProcessPool/statistics()``, and as metrics.
    var statistics = ProcessPool.Statistics() {
        didSet { metrics?.follow(from: oldValue, to: statistics) }
    }
    /// Nil while no metrics backend is bootstrapped: then they cost nothing.
    private let metrics: PoolMetrics?

    static let defaultLogger = SupervisorLogHandler.logger(label: "swift-multiprocessing.pool")
    var logger = PoolCore.defaultLogger
    /// The logger each worker's connection gets.
    var workerLogger = WorkerConnection.defaultLogger

    /// Starts a worker: a process, always, except in the supervisor's model test, whose
    /// workers are scripted endpoints on the test's side of a socket pair (see
    /// ``ScriptedProcess``). Called once per worker started, on the reactor thread.
    var spawn: (WorkerLaunchConfiguration) throws(SpawnFailure) -> SpawnedWorker = { configuration throws(SpawnFailure) in
        try WorkerSpawner.spawnClassified(configuration)
    }

    init(reactor: Reactor, configuration: PoolConfiguration) {
        self.reactor = reactor
        self.configuration = configuration
        metrics = MetricsSystem.factory is NOOPMetricsHandler ? nil : PoolMetrics(name: configuration.metricsName)
    }

    /// The live workers changed.
    func workersChanged() { metrics?.workerCount(slots.count) }

    /// A task came back whole: its time since it was sent.
    func taskFinished(_ task: InFlightTask) {
        guard let metrics else { return }
        metrics.taskFinished(nanoseconds: reactor.now() &- task.sentAt)
    }

    /// When a task is sent, as the task-duration metric needs it (0 without metrics).
    func sendTime() -> UInt64 { metrics == nil ? 0 : reactor.now() }

    // MARK: Lifecycle

    func start() {
        reactor.assertInLoop()
        if let initializer = configuration.initializer {
            initializerJobID = jobs.acquire(typeName: initializer.typeName, blob: initializer.blob)
        }
        for _ in 0..<configuration.workers { spawnWorker() }
    }

    private var isAcceptingWork: Bool {
        if case .running = state { return true }
        if case .closing = state { return true }
        return false
    }

    private var liveWorkerTarget: Int {
        switch state {
        case .running: return configuration.workers
        case .closing: return calls.isEmpty ? 0 : configuration.workers
        case .terminating, .broken: return 0
        }
    }

    func spawnWorker() {
        // While a retry is pending the pool is short of something; the retry starts every
        // missing worker (see replaceWorkers), and trying now would only fail again.
        guard spawnRetryTimer == nil else { return }
        if case .broken = state { return }
        let spawned: SpawnedWorker
        do {
            spawned = try spawn(configuration.launch)
        } catch {
            if error.isTransient {
                spawnFailedTransiently(error)
            } else {
                breakPool("cannot start a worker: \(error)")
            }
            return
        }
        spawnSucceeded()
        let connection = WorkerConnection(spawned: spawned, reactor: reactor,
                                          maxFrameSize: configuration.launch.maxFrameSize, logger: workerLogger)
        connection.delegate = self
        let slot = WorkerSlot(connection: connection)
        slots.append(slot)
        workersChanged()
        statistics.workersStarted += 1
        connection.activate()
        // A worker that never says hello (it hangs before its loop starts) is a start-up failure.
        reactor.schedule(after: configuration.helloTimeout) { [weak self, weak slot] in
            guard let self, let slot, slot.phase == .starting else { return }
            self.kill(slot, reason: .startupFailure("no hello within \(self.configuration.helloTimeout)"), grace: nil)
        }
    }

    /// Graceful: queued work finishes, then the workers exit.
    func close() {
        guard case .running = state else { return }
        state = .closing
        retireIdleWorkersIfDone()
        resolveJoinersIfDone()
    }

    /// Now: pending and running work fails with `poolTerminated`, workers are killed.
    func terminate() {
        switch state {
        case .terminating: return
        default: break
        }
        state = .terminating
        for call in calls.values where !call.ended {
            endCall(call, error: JobFailure(reason: .poolTerminated, jobType: call.jobType))
        }
        for slot in slots { kill(slot, reason: .terminate, grace: nil) }
        resolveJoinersIfDone()
    }

    func onAllWorkersExited(_ continuation: CheckedContinuation<Void, Never>) {
        joinWaiters.append(continuation)
        resolveJoinersIfDone()
    }

    func resolveJoinersIfDone() {
        let done: Bool
        switch state {
        case .running: done = false
        case .closing: done = slots.isEmpty && calls.isEmpty
        case .terminating, .broken: done = slots.isEmpty
        }
        guard done else { return }
        let waiters = joinWaiters
        joinWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Calls

    /// Registers a call; its chunks follow with ``submit(callID:chunks:inputFinished:)``.
    func open(_ call: CallState) {
        if case let .broken(why) = state {
            call.ended = true
            call.sink.fail(JobFailure(reason: .workerStartFailed(why), jobType: call.jobType))
            releaseJob(call.jobID)
            return
        }
        guard isAcceptingWork else {
            call.ended = true
            call.sink.fail(JobFailure(reason: .poolTerminated, jobType: call.jobType))
            releaseJob(call.jobID)
            return
        }
        calls[call.id] = call
    }

    func submit(callID: UInt64, chunks: [Chunk], inputFinished: Bool) {
        guard let call = calls[callID], !call.ended else { return }
        for chunk in chunks {
            call.pending.append(TaskSpec(callID: callID, chunk: chunk, range: 0..<chunk.count))
        }
        if inputFinished { call.inputFinished = true }
        if !chunks.isEmpty { markReady(call) }
        if call.isComplete { completeCall(call) }
        dispatch()
    }

    func cancel(callID: UInt64, graceful: Bool?) {
        guard let call = calls[callID], !call.ended else { return }
        let graceful = graceful ?? call.options.gracefulCancel
        endCall(call, error: CancellationError())
        for slot in slots {
            let mine = slot.inFlight.filter { $0.spec.callID == callID }
            guard !mine.isEmpty else { continue }
            // The task the worker is running, by its status page (the first in line may be done
            // already, its results not yet sent).
            let status = slot.connection.status()
            let running = slot.inFlight.first { status?.isRunning(taskID: $0.taskID) ?? false }
                ?? (status == nil ? slot.inFlight.first : nil)
            if !graceful, let running, running.spec.callID == callID {
                kill(slot, reason: .cancelled(callID: callID), grace: nil)
            } else {
                let queued = mine.map(\.taskID).filter { $0 != running?.taskID }
                if !queued.isEmpty { slot.connection.send(.cancel, TaskListMessage(taskIDs: queued).encode()) }
            }
        }
        if call.isComplete { completeCall(call) }
        // Its queued tasks are gone: what waited behind them (or for a worker kept for one of
        // them) may go now.
        dispatch()
    }

    /// Stops a call's queued work and tells its caller why; tasks in flight are left to finish
    /// or be killed by the caller of this.
    func endCall(_ call: CallState, error: any Error) {
        guard !call.ended else { return }
        call.ended = true
        call.pending.removeAll()
        call.sink.fail(error)
        if call.isComplete { completeCall(call) }
    }

    func completeCall(_ call: CallState) {
        guard calls.removeValue(forKey: call.id) != nil else { return }
        releaseJob(call.jobID)
        retireIdleWorkersIfDone()
        resolveJoinersIfDone()
    }

    private func releaseJob(_ id: UInt32) {
        for evicted in jobs.release(id) {
            var body = ByteWriter(capacity: 4)
            body.write(evicted)
            for slot in slots where slot.knownJobs.remove(evicted) != nil {
                slot.connection.send(.forgetJob, body.finish())
            }
        }
    }

    func markReady(_ call: CallState) {
        if !readyCalls.contains(call.id) { readyCalls.append(call.id) }
    }

    // MARK: Dispatch

    /// Hands pending tasks to workers with room, calls served in turn.
    func dispatch() {
        guard isAcceptingWork else { return }
        // However this returns, items now in flight need their timeouts watched.
        defer { scheduleTimeoutCheck() }
        // A worker is kept empty only while an isolated task waits for one: the one it was
        // kept for may be gone (its call cancelled or ended, or it went to another empty worker).
        if reservedSlot != nil, !readyCalls.contains(where: { calls[$0].map { !$0.ended && $0.pending.first?.isolated == true } ?? false }) {
            reservedSlot = nil
        }
        var rounds = readyCalls.count
        // Calls no worker has room for now. They keep their turn, and the calls behind them are
        // still served: an isolated task there may take the empty worker kept for it, which no
        // other task may use (stopping at the first blocked call left it waiting for ever).
        var blocked: [UInt64] = []
        defer { readyCalls.insert(contentsOf: blocked, at: readyCalls.startIndex) }
        while rounds > 0, let callID = readyCalls.popFirst() {
            rounds -= 1
            guard let call = calls[callID], !call.ended, let next = call.pending.first else { continue }
            let slot: WorkerSlot
            if next.isolated {
                // Alone on a worker (see Blame): wait for an empty one, keeping one from new work.
                guard let empty = emptyReadySlot() else {
                    reserveSlotForIsolatedTask()
                    readyCalls.append(callID)
                    continue
                }
                slot = empty
                if reservedSlot === empty { reservedSlot = nil }
            } else {
                let depth = call.pipelineDepth(taskItems: next.range.count)
                guard let found = leastLoadedReadySlot(below: depth) else {
                    blocked.append(callID)
                    continue
                }
                slot = found
            }
            let spec = call.pending.removeFirst()
            call.inFlight += 1
            guard send(spec, call: call, to: slot) else {
                call.inFlight -= 1
                if call.isComplete { completeCall(call) }
                if !call.pending.isEmpty { readyCalls.append(callID); rounds += 1 }
                continue
            }
            if !call.pending.isEmpty {
                readyCalls.append(callID)
                rounds += 1
            }
        }
        if readyCalls.isEmpty && blocked.isEmpty { stealForIdleWorkers() }
    }

    /// With nothing left to hand out, an idle worker takes tasks that wait behind a slow one
    /// on another worker: that worker is asked to give back its queue (the back half, when it
    /// is long), and what it gives back (`dropped`) is queued again. Without this, pipelining would leave
    /// items waiting behind a slow item while a worker idles.
    private func stealForIdleWorkers() {
        let idle = slots.filter { $0.phase == .ready && $0.inFlight.isEmpty }.count
        guard idle > 0 else { return }
        for _ in 0..<idle {
            func stealable(_ slot: WorkerSlot) -> [Int] {
                slot.inFlight.indices.dropFirst().filter { !slot.inFlight[$0].stealRequested }
            }
            // Workers stuck in a long item first: their queues wait the longest.
            let now = reactor.now()
            guard let victim = slots.max(by: { (isStalled($0, now: now) ? 1 << 20 : 0) + stealable($0).count
                                             < (isStalled($1, now: now) ? 1 << 20 : 0) + stealable($1).count }) else { return }
            let candidates = stealable(victim)
            guard !candidates.isEmpty else { return }
            // A short queue goes whole (it is the tail of the work: one round, no ping-pong);
            // a long one by halves.
            let taken = candidates.count <= 16 ? candidates[...] : candidates.suffix(candidates.count / 2)
            for index in taken { victim.inFlight[index].stealRequested = true }
            victim.connection.send(.cancel, TaskListMessage(taskIDs: taken.map { victim.inFlight[$0].taskID }).encode())
        }
    }

    /// The ready worker with the fewest tasks, below `depth`, that is not stuck in a long item
    /// (tasks queued behind one would wait for it; they go to another worker, or wait here),
    /// and neither runs an isolated task nor is kept free for one.
    private func leastLoadedReadySlot(below depth: Int) -> WorkerSlot? {
        let now = reactor.now()
        var best: WorkerSlot?
        for slot in slots where slot.phase == .ready && slot.inFlight.count < depth && !isStalled(slot, now: now)
            && slot !== reservedSlot && !slot.inFlight.contains(where: { $0.spec.isolated }) {
            if best == nil || slot.inFlight.count < best!.inFlight.count { best = slot }
        }
        return best
    }

    /// Whether the worker's current item has been running far longer than its call's items do.
    func isStalled(_ slot: WorkerSlot, now: UInt64) -> Bool {
        guard !slot.inFlight.isEmpty, let (task, _, runningFor) = slot.runningItem(now: now) else { return false }
        let typical = calls[task.spec.callID]?.itemNanos ?? 100_000
        return Double(runningFor) > max(2_000_000, 20 * typical)
    }

    private func emptyReadySlot() -> WorkerSlot? {
        slots.first { $0.phase == .ready && $0.inFlight.isEmpty }
    }

    /// Keeps the least busy worker from new tasks until it is empty, so that an isolated task
    /// is not starved by deep pipelines.
    private func reserveSlotForIsolatedTask() {
        if let reservedSlot, reservedSlot.phase == .ready, slots.contains(where: { $0 === reservedSlot }) { return }
        reservedSlot = slots.filter { $0.phase == .ready }.min { $0.inFlight.count < $1.inFlight.count }
    }

    func allocateTaskID() -> UInt64 {
        defer { nextTaskID += 1 }
        return nextTaskID
    }

    /// Sends a task, or fails its items (false) when its frame would be over the limit: the
    /// worker would refuse it, and no length field may overflow.
    private func send(_ spec: TaskSpec, call: CallState, to slot: WorkerSlot) -> Bool {
        let limit = configuration.launch.maxFrameSize
        guard defineJobIfNeeded(call, on: slot) else { return false }
        let taskID = allocateTaskID()
        switch call.kind {
        case .chunks:
            let message = RunChunkMessage(taskID: taskID, jobID: call.jobID, start: UInt32(spec.range.lowerBound),
                                          end: UInt32(spec.range.upperBound), inputs: spec.chunk.inputs)
            let head = message.encodeFixedPart()
            guard Frame.fits(bodyCount: head.count + spec.chunk.inputs.count, limit: limit) else {
                let text = "its inputs are \(spec.chunk.inputs.count) bytes, over the frame limit of \(limit) bytes"
                    + " (ProcessPool.Options.maxFrameBytes; a smaller chunk size sends fewer at once)"
                fail(range: spec.range, of: spec, call: call, reason: .codingFailed(text), slot: slot, stderr: [])
                return false
            }
            slot.connection.send(.runChunk, head, spec.chunk.inputs)
        case .target:
            slot.connection.send(.runTarget, RunTargetMessage(taskID: taskID, jobID: call.jobID, exitAfter: false).encode())
        }
        slot.inFlight.append(InFlightTask(taskID: taskID, spec: spec, sentAt: sendTime()))
        return true
    }

    /// Sends the call's job value to a worker that lacks it; ends the call (false) when the
    /// value is over the frame limit.
    private func defineJobIfNeeded(_ call: CallState, on slot: WorkerSlot) -> Bool {
        guard !slot.knownJobs.contains(call.jobID), let definition = jobs.definition(call.jobID) else { return true }
        let body = definition.encode()
        let limit = configuration.launch.maxFrameSize
        guard Frame.fits(bodyCount: body.count, limit: limit) else {
            let text = "the job value is \(body.count) bytes, over the frame limit of \(limit) bytes (ProcessPool.Options.maxFrameBytes)"
            endCall(call, error: JobFailure(reason: .codingFailed(text), jobType: call.jobType))
            return false
        }
        slot.knownJobs.insert(call.jobID)
        slot.connection.send(.defineJob, body)
        return true
    }

    /// Puts unfinished items back at the front of their call's queue.
    func requeue(_ spec: TaskSpec, range: Range<Int>) {
        guard !range.isEmpty, let call = calls[spec.callID], !call.ended else { return }
        var copy = spec
        copy.range = range
        call.pending.prepend(copy)
        markReady(call)
    }

    // MARK: Recycling and shutdown of workers

    func kill(_ slot: WorkerSlot, reason: KillReason, grace: Duration?) {
        guard slot.connection.isAlive else { return }
        if slot.killReason == nil { slot.killReason = reason }
        slot.phase = .exiting
        if let grace {
            slot.connection.terminate(grace: grace)
        } else {
            slot.connection.kill(SIGKILL)
        }
    }

    /// After a task: retire a worker that reached its task limit or memory bound.
    func recycleIfNeeded(_ slot: WorkerSlot) {
        guard slot.phase == .ready else { return }
        var retire = false
        if let limit = configuration.maxTasksPerWorker, slot.tasksDone >= limit { retire = true }
        if let bound = configuration.recycleAboveResidentBytes,
           let status = slot.connection.status(), status.residentBytes > UInt64(bound) {
            retire = true
        }
        guard retire else { return }
        slot.phase = .retiring
        statistics.workersRecycled += 1
        // The replacement starts now, so the pool keeps its width.
        spawnWorker()
        shutDownIfIdle(slot)
    }

    private func shutDownIfIdle(_ slot: WorkerSlot) {
        guard slot.inFlight.isEmpty, slot.phase == .retiring else { return }
        slot.phase = .exiting
        if slot.killReason == nil { slot.killReason = .recycle }
        slot.connection.send(.shutdown)
    }

    func retireIdleWorkersIfDone() {
        for slot in slots where slot.phase == .retiring { shutDownIfIdle(slot) }
        guard case .closing = state, calls.isEmpty else { return }
        // A worker still starting is retired once it is ready (see becomeReady).
        for slot in slots where slot.inFlight.isEmpty && slot.phase == .ready {
            slot.phase = .retiring
            shutDownIfIdle(slot)
        }
    }

    // MARK: Start-up failures and crash loops

    /// A worker died or was refused before it became ready.
    func startupFailed(_ why: String, stderr: [String]) {
        consecutiveStartupFailures += 1
        guard consecutiveStartupFailures >= configuration.startupFailureLimit else { return }
        var text = "workers keep dying at start-up (\(consecutiveStartupFailures) in a row): \(why)"
        if !stderr.isEmpty { text += "; stderr: " + stderr.suffix(5).joined(separator: " | ") }
        breakPool(text)
    }

    /// For good: every call fails with `workerStartFailed(why)`, and so does every later one.
    private func breakPool(_ why: String) {
        switch state {
        case .broken, .terminating: return
        case .running, .closing: break
        }
        logger.error("\(why)")
        state = .broken(why)
        if let spawnRetryTimer { reactor.cancelTimer(spawnRetryTimer) }
        spawnRetryTimer = nil
        for call in calls.values where !call.ended {
            endCall(call, error: JobFailure(reason: .workerStartFailed(why), jobType: call.jobType))
        }
        for slot in slots { kill(slot, reason: .startupFailure(why), grace: nil) }
        resolveJoinersIfDone()
    }

    /// The system is short of descriptors, processes or memory: the pool stays as it is (calls
    /// wait, they do not fail) and tries again after a back-off that doubles from 10 ms to 1 s.
    /// The cause is logged when it changes, not at every try, and shown in the statistics.
    private func spawnFailedTransiently(_ failure: SpawnFailure) {
        statistics.transientSpawnFailures += 1
        let text = failure.description
        if statistics.spawnFailure != text {
            logger.warning("cannot start a worker for now, retrying with back-off: \(text)")
            statistics.spawnFailure = text
        }
        let delay = Duration.milliseconds(min(1000, 10 << min(spawnRetryLevel, 7)))
        spawnRetryLevel += 1
        spawnRetryTimer = reactor.schedule(after: delay) { [self] in
            spawnRetryTimer = nil
            replaceWorkers()
            dispatch()
        }
    }

    private func spawnSucceeded() {
        spawnRetryLevel = 0
        if let failure = statistics.spawnFailure {
            logger.notice("workers start again (they could not: \(failure))")
            statistics.spawnFailure = nil
        }
    }

    /// Starts replacements for dead workers, slower while workers keep crashing.
    func replaceWorkers() {
        let missing = liveWorkerTarget - slots.filter { $0.phase != .exiting && $0.phase != .retiring }.count - respawnsScheduled
        guard missing > 0 else { return }
        let now = reactor.now()
        while let first = recentCrashes.first, now &- first > 1_000_000_000 { recentCrashes.removeFirst() }
        let delay = respawnDelay()
        for _ in 0..<missing {
            if delay == .zero {
                spawnWorker()
            } else {
                respawnsScheduled += 1
                reactor.schedule(after: delay) { [self] in
                    respawnsScheduled -= 1
                    if slots.count < liveWorkerTarget { spawnWorker() }
                    dispatch()
                }
            }
        }
    }

    private func respawnDelay() -> Duration {
        if consecutiveStartupFailures > 0 {
            return .milliseconds(min(1000, 10 << min(consecutiveStartupFailures, 7)))
        }
        let excess = recentCrashes.count - 4 * configuration.workers
        guard excess > 0 else { return .zero }
        return .milliseconds(min(500, 5 * excess))
    }

    func noteCrash() {
        recentCrashes.append(reactor.now())
    }

    func noteStartedUp() {
        consecutiveStartupFailures = 0
    }

    // MARK: Timeouts

    /// The shortest timeout among calls with items in flight (calls are few; tasks can be many).
    private var shortestTimeout: Duration? {
        var shortest: Duration?
        for call in calls.values where call.inFlight > 0 {
            guard let timeout = call.options.timeout else { continue }
            if shortest == nil || timeout < shortest! { shortest = timeout }
        }
        return shortest
    }

    func scheduleTimeoutCheck() {
        guard timeoutTimer == nil, let shortest = shortestTimeout else { return }
        let tick = min(max(shortest / 10, .milliseconds(5)), .milliseconds(100))
        timeoutTimer = reactor.schedule(after: tick) { [self] in
            timeoutTimer = nil
            checkTimeouts()
            scheduleTimeoutCheck()
        }
    }

    /// Kills the worker of any item that has run past its call's timeout. The item's start is
    /// the first time the parent saw it running, so an item may run up to one tick too long.
    private func checkTimeouts() {
        let now = reactor.now()
        for slot in slots where slot.killReason == nil && !slot.inFlight.isEmpty {
            guard let (task, offset, runningFor) = slot.runningItem(now: now),
                  let timeout = calls[task.spec.callID]?.options.timeout else { continue }
            if runningFor >= UInt64(timeout.nanoseconds) {
                kill(slot, reason: .timeout(taskID: task.taskID, offset: offset, limit: timeout),
                     grace: configuration.killGrace)
            }
        }
    }
}

