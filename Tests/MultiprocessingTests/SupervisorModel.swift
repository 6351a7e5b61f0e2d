import CMultiprocessing
import Logging
#if canImport(Glibc)
import Glibc
#endif
@testable import Multiprocessing

/// One schedule for the supervisor model: a pool's settings, its calls and their items' natures,
/// and the events that happen to it, in order. Printed as Swift that builds it again, so that a
/// counterexample becomes a regression test by pasting.
struct ModelScenario: CustomStringConvertible, Sendable {
    struct Call: Sendable {
        var natures: String
        var chunk = 1
        var retries = 0
        var timeoutMs: Int?
        var graceful = false
        /// Fed a chunk at a time through a window, as a stream's feeder does; else all at once.
        var stream = false

        var items: Int { natures.count }
        func nature(_ index: Int) -> ItemNature { ItemNature(rawValue: Array(natures)[index]) ?? .good }
    }

    enum Event: Sendable, CustomStringConvertible {
        /// Worker `n` (counted among the live ones, modulo their number) does `action`.
        case worker(Int, ScriptedWorker.Action)
        /// Time passes (milliseconds): timers fall due.
        case tick(Int)
        case open(Int)
        case cancel(Int, graceful: Bool)
        /// The stream's feeder submits its next chunk, if the window has room.
        case feed(Int)
        /// The consumer reads what arrived.
        case consume(Int)
        case close

        var description: String {
            switch self {
            case let .worker(n, action):
                switch action {
                case let .die(status): return ".worker(\(n), .die(.\(status.literal)))"
                default: return ".worker(\(n), .\(action))"
                }
            case let .tick(ms): return ".tick(\(ms))"
            case let .open(call): return ".open(\(call))"
            case let .cancel(call, graceful): return ".cancel(\(call), graceful: \(graceful))"
            case let .feed(call): return ".feed(\(call))"
            case let .consume(call): return ".consume(\(call))"
            case .close: return ".close"
            }
        }
    }

    var workers = 1
    var maxTasksPerWorker: Int?
    /// Workers ignore SIGTERM (a timeout's grace then ends in SIGKILL).
    var ignoreTerm = false
    var calls: [Call]
    var events: [Event]

    var description: String {
        let calls = self.calls.map { call in
            ".init(natures: \"\(call.natures)\", chunk: \(call.chunk), retries: \(call.retries), timeoutMs: "
                + "\(call.timeoutMs.map(String.init) ?? "nil"), graceful: \(call.graceful), stream: \(call.stream))"
        }
        return "ModelScenario(workers: \(workers), maxTasksPerWorker: \(maxTasksPerWorker.map(String.init) ?? "nil"), "
            + "ignoreTerm: \(ignoreTerm), calls: [\(calls.joined(separator: ", "))], "
            + "events: [\(events.map(\.description).joined(separator: ", "))])"
    }

    /// A random schedule, all of it from `seed`.
    static func random(seed: UInt64) -> ModelScenario {
        var rng = SplitMix64(seed: seed)
        let callCount = 1 + rng.below(3)
        var calls: [Call] = []
        for _ in 0..<callCount {
            let timeout: Int? = rng.chance(40) ? 50 + rng.below(150) : nil
            let count = 1 + rng.below(10)
            var natures = ""
            for _ in 0..<count {
                let roll = rng.below(100)
                let bad: [ItemNature] = timeout == nil
                    ? [.crashes, .exitsAfterReturn, .closesChannel, .writesGarbage, .crashesEncoding]
                    : [.crashes, .exitsAfterReturn, .hangs, .closesChannel, .writesGarbage, .crashesEncoding]
                let nature: ItemNature = roll < 76 ? .good : roll < 84 ? .throwsError : bad[rng.below(bad.count)]
                natures.append(nature.rawValue)
            }
            calls.append(Call(natures: natures, chunk: 1 + rng.below(3), retries: rng.below(3), timeoutMs: timeout,
                              graceful: rng.chance(50), stream: rng.chance(40)))
        }
        var events: [Event] = []
        let opened = (0..<callCount).filter { _ in rng.chance(70) }
        for call in opened { events.append(.open(call)) }
        let count = 30 + rng.below(90)
        for _ in 0..<count {
            let roll = rng.below(1000)
            let worker = rng.below(4)
            switch roll {
            case 0..<420: events.append(.worker(worker, .step))
            case 420..<510: events.append(.worker(worker, .read))
            case 510..<580: events.append(.worker(worker, .flush))
            case 580..<610: events.append(.worker(worker, .verify))
            case 610..<640: events.append(.worker(worker, .partial))
            case 640..<670:
                let statuses: [ProcessExitStatus] = [.signaled(SIGKILL), .signaled(SIGSEGV), .exited(1), .exited(0), .unknown]
                events.append(.worker(worker, .die(statuses[rng.below(statuses.count)])))
            case 670..<685: events.append(.worker(worker, .garbage))
            case 685..<770: events.append(.tick([1, 5, 20, 60, 150, 400, 1200][rng.below(7)]))
            case 770..<790: events.append(.cancel(rng.below(callCount), graceful: rng.chance(50)))
            case 790..<880: events.append(.feed(rng.below(callCount)))
            case 880..<960: events.append(.consume(rng.below(callCount)))
            case 960..<970: events.append(.close)
            default: events.append(.open(rng.below(callCount)))
            }
        }
        return ModelScenario(workers: 1 + rng.below(3), maxTasksPerWorker: rng.chance(30) ? 1 + rng.below(3) : nil,
                             ignoreTerm: rng.chance(20), calls: calls, events: events)
    }
}

extension ProcessExitStatus {
    /// As Swift source.
    var literal: String {
        switch self {
        case let .exited(code): return "exited(\(code))"
        case let .signaled(signal): return "signaled(\(signal))"
        case .unknown: return "unknown"
        }
    }
}

/// Runs a ``ModelScenario`` against the real `PoolCore` on a stepped reactor with scripted
/// workers, and checks after every event that what the pool did agrees with a reference model
/// of what it may do. `violations` lists every disagreement (empty: the run agreed throughout).
final class SupervisorModelRun: ScriptedWorkerObserver {
    /// Reactor rounds one event may take before the pool counts as spinning.
    static let maxRoundsPerEvent = 64
    /// Drain rounds after the schedule, in which every call must end.
    static let maxDrainRounds = 3000

    let scenario: ModelScenario
    let reactor = Reactor.stepped()
    let core: PoolCore
    private(set) var violations: [String] = []
    private var workers: [ScriptedWorker] = []
    private var calls: [CallModel] = []
    private var eventIndex = -1
    private var unblamedDeaths = 0
    private var deaths = 0
    private var closed = false
    var trace = false

    /// What the model knows of one call.
    final class CallModel {
        let index: Int
        let spec: ModelScenario.Call
        let id: UInt64
        var sink: ResultSink?
        var submitted = 0
        var inputFinished = false
        var cancelled = false
        var consumed = 0
        var deliveredCount = 0
        var outcomes: [Int: Outcome] = [:]
        var window: Int { 2 + spec.chunk * 2 }

        enum Outcome: Equatable {
            case output(Int)
            case threw
            case charged(JobFailure.Reason, earlierAttempts: Int)
        }

        init(index: Int, spec: ModelScenario.Call) {
            self.index = index
            self.spec = spec
            id = UInt64(100 + index)
        }
    }

    /// Per item: runs begun, results that left their worker intact, deaths it was exposed to.
    private var begun: [ItemKey: Int] = [:]
    private var sent: Set<ItemKey> = []
    private var exposures: [ItemKey: Int] = [:]
    private var beganAt: [ItemKey: UInt64] = [:]
    /// The longest an item was seen running when its worker was signalled or died (for timeouts).
    private var longestFatalRun: [ItemKey: UInt64] = [:]

    init(_ scenario: ModelScenario) {
        self.scenario = scenario
        var configuration = PoolConfiguration(workers: scenario.workers)
        configuration.maxTasksPerWorker = scenario.maxTasksPerWorker
        configuration.launch.maxFrameSize = 1 << 20
        core = PoolCore(reactor: reactor, configuration: configuration)
        core.logger.logLevel = .critical
        core.workerLogger.logLevel = .critical
        calls = scenario.calls.enumerated().map { CallModel(index: $0, spec: $1) }
        core.spawn = { [unowned self] _ throws(SpawnFailure) in
            let (worker, spawned) = try ScriptedWorker.make(
                number: workers.count, observer: self, maxFrameSize: 1 << 20, ignoresTerm: scenario.ignoreTerm,
                seed: UInt64(workers.count) &* 0x9E37_79B9)
            workers.append(worker)
            return spawned
        }
    }

    /// Runs the schedule, then lets every worker behave until everything has ended.
    func run() {
        core.start()
        settle()
        for (index, event) in scenario.events.enumerated() {
            eventIndex = index
            apply(event)
            settle()
            if trace { print("== \(index) \(event)\n\(stateDump)") }
            check()
            if !violations.isEmpty { break }
        }
        if violations.isEmpty { drain() }
        if !violations.isEmpty { violations[0] = stateDump }
        tearDown()
    }

    // MARK: Events

    private var liveWorkers: [ScriptedWorker] { workers.filter(\.isAlive) }

    private func apply(_ event: ModelScenario.Event) {
        switch event {
        case let .worker(n, action):
            let live = liveWorkers
            guard !live.isEmpty else { return }
            let worker = live[n % live.count]
            if action.isFatal, worker.exposed.isEmpty {
                // A death charged to nobody bumps the first task's count of such deaths; past
                // PoolCore.maxUnblamedCrashes its first item is charged. Kept below that here
                // (the bound has its own test), so that the oracle can say who may be charged:
                // every outside death with nothing begun and undelivered counts.
                guard unblamedDeaths < PoolCore.maxUnblamedCrashes - 1 else { return }
                unblamedDeaths += 1
            }
            worker.perform(action)
        case let .tick(ms):
            reactor.advance(by: .milliseconds(ms))
        case let .open(index):
            open(calls[index])
        case let .cancel(index, graceful):
            let call = calls[index]
            guard call.sink != nil, !call.cancelled else { return }
            call.cancelled = true
            core.cancel(callID: call.id, graceful: graceful)
        case let .feed(index):
            feed(calls[index])
        case let .consume(index):
            consume(calls[index])
        case .close:
            guard !closed else { return }
            closed = true
            for call in calls where call.sink == nil { open(call) }
            core.close()
        }
    }

    private func open(_ call: CallModel) {
        guard call.sink == nil else { return }
        let sink = ResultSink()
        call.sink = sink
        let jobID = core.jobs.acquire(typeName: "SupervisorModelJob", blob: [UInt8(call.index)])
        let options = CallOptions(timeout: call.spec.timeoutMs.map { .milliseconds($0) }, retries: call.spec.retries,
                                  gracefulCancel: call.spec.graceful, reportsIndex: true)
        core.open(CallState(id: call.id, kind: .chunks, jobID: jobID, jobType: "SupervisorModelJob", options: options, sink: sink))
        if call.spec.stream {
            feed(call)
        } else {
            submit(call, upTo: call.spec.items)
        }
    }

    private func feed(_ call: CallModel) {
        guard let sink = call.sink, !call.cancelled, !call.inputFinished,
              sink.hasSpace(window: call.window, maxBytes: .max) else { return }
        submit(call, upTo: min(call.spec.items, call.submitted + call.spec.chunk))
    }

    /// Submits the items up to `end`, cut into the call's chunks; the input ends at the last.
    private func submit(_ call: CallModel, upTo end: Int) {
        guard let sink = call.sink else { return }
        var chunks: [Chunk] = []
        while call.submitted < end {
            let first = call.submitted
            let last = min(end, first + call.spec.chunk)
            let inputs = (first..<last).map { ItemKey(call: call.index, index: $0).input }
            chunks.append(Chunk(firstIndex: first, count: inputs.count, inputs: Payload(try! BinaryEncoder().encode(inputs))))
            sink.addSubmitted(inputs.count)
            call.submitted = last
        }
        let finished = call.submitted == call.spec.items
        if finished {
            call.inputFinished = true
            sink.inputFinished(total: call.spec.items)
        }
        core.submit(callID: call.id, chunks: chunks, inputFinished: finished)
    }

    private func consume(_ call: CallModel) {
        guard let sink = call.sink else { return }
        let fresh = call.deliveredCount - call.consumed
        if fresh > 0 { sink.consumed(fresh) }
        call.consumed = call.deliveredCount
    }

    /// Runs the reactor until nothing is ready; a pool that keeps finding work is spinning.
    private func settle() {
        var rounds = 0
        while reactor.step() > 0 {
            rounds += 1
            if rounds > Self.maxRoundsPerEvent {
                violate("busy loop: still working after \(rounds) rounds of the reactor for one event")
                return
            }
        }
        collectDeliveries()
    }

    // MARK: Observing the workers

    func nature(of item: ItemKey) -> ItemNature {
        calls[item.call].spec.nature(item.index)
    }

    func began(_ item: ItemKey, worker: ScriptedWorker) {
        begun[item, default: 0] += 1
        beganAt[item] = reactor.now()
        if sent.contains(item) {
            violate("item \(item) began again on worker \(worker.number) after its result had left a worker intact")
        }
    }

    func sent(_ item: ItemKey, worker: ScriptedWorker) {
        sent.insert(item)
    }

    func died(_ worker: ScriptedWorker, status: ProcessExitStatus, exposed: [ItemKey]) {
        deaths += 1
        for item in Set(exposed) { exposures[item, default: 0] += 1 }
        noteRunningTime(worker)
    }

    func signalled(_ worker: ScriptedWorker, _ signal: Int32) {
        noteRunningTime(worker)
    }

    private func noteRunningTime(_ worker: ScriptedWorker) {
        // The parent times the last item begun, returned or not (the page names it until the
        // next begins; between two items a worker spends microseconds, unless it is stopped).
        if let item = worker.lastBegun, let start = beganAt[item] {
            longestFatalRun[item] = max(longestFatalRun[item] ?? 0, reactor.now() - start)
        }
    }

    // MARK: The oracle

    /// The pool's and the workers' state, for a violation's report.
    var stateDump: String {
        var lines: [String] = ["now \(reactor.now() / 1_000_000) ms, pool \(core.state), ready calls \(Array(core.readyCalls)), reserved \(core.reservedSlot?.pid ?? 0)"]
        for slot in core.slots {
            let tasks = slot.inFlight.map { "\($0.taskID):\($0.spec.callID)[\($0.resolvedUpTo)..<\($0.spec.range.upperBound)]\($0.spec.isolated ? "i" : "")" }
            lines.append("slot pid \(slot.pid) \(slot.phase) kill \(String(describing: slot.killReason)) alive \(slot.connection.isAlive) tasks \(tasks)")
        }
        for worker in workers where worker.isAlive {
            lines.append("worker \(worker.number) pid \(worker.pid) \(worker.debugDescription)")
        }
        for call in calls {
            let state = core.calls[call.id]
            lines.append("call \(call.index) submitted \(call.submitted) delivered \(call.outcomes.count) cancelled \(call.cancelled) "
                + "core: \(state.map { "pending \($0.pending.map { "\($0.chunk.firstIndex)+\($0.range)\($0.isolated ? "i" : "")" }) inFlight \($0.inFlight) ended \($0.ended)" } ?? "gone")")
        }
        return lines.joined(separator: "\n")
    }

    private func violate(_ text: String) {
        if violations.isEmpty { violations.append("") }
        violations.append("event \(eventIndex) (\(eventIndex >= 0 && eventIndex < scenario.events.count ? scenario.events[eventIndex].description : "drain")): \(text)")
    }

    /// Every piece the pool delivered: each item once, with the output it computes, and a
    /// failure only where the item may have one.
    private func collectDeliveries() {
        for call in calls {
            guard let sink = call.sink else { continue }
            for piece in sink.takeDelivered() {
                guard piece.count > 0, piece.firstIndex >= 0, piece.firstIndex + piece.count <= call.submitted else {
                    violate("call \(call.index): a piece of items \(piece.firstIndex)..<\(piece.firstIndex + piece.count) of \(call.submitted) submitted")
                    continue
                }
                let outputs = (try? BinaryDecoder().decode([Int].self, from: piece.outputs.bytes)) ?? []
                var nextOutput = 0
                let failed = Dictionary(piece.failures.map { ($0.index, $0.failure) }, uniquingKeysWith: { a, _ in a })
                for index in piece.firstIndex..<(piece.firstIndex + piece.count) {
                    let item = ItemKey(call: call.index, index: index)
                    let outcome: CallModel.Outcome
                    if let failure = failed[index] {
                        if case .threw = failure.reason { outcome = .threw }
                        else { outcome = .charged(failure.reason, earlierAttempts: failure.earlierAttempts.count) }
                    } else {
                        guard nextOutput < outputs.count else {
                            violate("item \(item): no output in its piece")
                            continue
                        }
                        outcome = .output(outputs[nextOutput])
                        nextOutput += 1
                    }
                    if let earlier = call.outcomes[index] {
                        violate("item \(item) delivered twice: \(earlier), then \(outcome)")
                    }
                    call.outcomes[index] = outcome
                    call.deliveredCount += 1
                    judge(item, outcome, call: call)
                }
                if nextOutput != outputs.count {
                    violate("call \(call.index): a piece of \(piece.count) items with \(outputs.count) outputs")
                }
            }
        }
    }

    private func judge(_ item: ItemKey, _ outcome: CallModel.Outcome, call: CallModel) {
        let nature = self.nature(of: item)
        let exposed = exposures[item] ?? 0
        switch outcome {
        case let .output(value):
            if value != ItemKey.output(of: item.input) { violate("item \(item): output \(value), not \(ItemKey.output(of: item.input))") }
            if nature != .good { violate("item \(item) (\(nature)) delivered a success") }
        case .threw:
            if nature != .throwsError { violate("item \(item) (\(nature)) failed as having thrown") }
        case let .charged(reason, earlierAttempts):
            // Charged: each attempt was a death while the item was begun and undelivered.
            if !nature.isBad && exposed < call.spec.retries + 1 {
                violate("innocent item \(item) (\(nature)) charged with \(reason) after \(exposed) death(s) that could be its (retries \(call.spec.retries))")
            }
            if earlierAttempts + 1 > exposed {
                violate("item \(item) charged with \(earlierAttempts + 1) attempts, but only \(exposed) death(s) could be its")
            }
            if earlierAttempts < call.spec.retries {
                violate("item \(item) failed (\(reason)) after \(earlierAttempts + 1) attempt(s); it has \(call.spec.retries) retries")
            }
            // Exactly 1 + retries attempts; with no retries, 2 when its first death named it
            // among other suspects (the run alone that names it is the second).
            let mostAttempts = call.spec.retries == 0 && exposed >= 2 ? 2 : call.spec.retries + 1
            if earlierAttempts + 1 > mostAttempts {
                violate("item \(item) charged with \(earlierAttempts + 1) attempts (retries \(call.spec.retries), \(exposed) death(s) exposed): at most \(mostAttempts)")
            }
            if case .timedOut = reason {
                let limit = UInt64(call.spec.timeoutMs ?? 0) * 1_000_000
                if call.spec.timeoutMs == nil || (longestFatalRun[item] ?? 0) < limit {
                    violate("item \(item) timed out, but ran at most \((longestFatalRun[item] ?? 0) / 1_000_000) ms (timeout \(call.spec.timeoutMs.map(String.init) ?? "none"))")
                }
            }
        }
    }

    /// After every event: the pool's books agree with what it delivered (every submitted item of
    /// a live call is delivered, queued or in flight, exactly one of them), no honest worker is
    /// killed for the protocol, and the pool keeps no more workers than it should.
    private func check() {
        for call in calls {
            guard call.sink != nil, let state = core.calls[call.id], !state.ended else { continue }
            var count = [Int](repeating: 0, count: call.submitted)
            for index in call.outcomes.keys where index < count.count { count[index] += 1 }
            for spec in state.pending {
                for offset in spec.range { count[spec.chunk.firstIndex + offset] += 1 }
            }
            var inFlight = 0
            for slot in core.slots {
                for task in slot.inFlight where task.spec.callID == call.id {
                    inFlight += 1
                    for offset in task.resolvedUpTo..<task.spec.range.upperBound {
                        count[task.spec.chunk.firstIndex + offset] += 1
                    }
                }
            }
            if let index = count.firstIndex(where: { $0 != 1 }) {
                violate("call \(call.index): item \(index) is delivered, queued or in flight \(count[index]) times")
            }
            if inFlight != state.inFlight {
                violate("call \(call.index): counts \(state.inFlight) tasks in flight, workers hold \(inFlight)")
            }
        }
        for slot in core.slots {
            guard case let .protocolViolation(why)? = slot.killReason,
                  let worker = workers.first(where: { $0.pid == slot.pid }) else { continue }
            if !worker.channelPoisoned && !worker.channelBroken {
                violate("worker \(worker.number) killed for a protocol violation it did not commit: \(why)")
            }
        }
        let working = core.slots.filter { $0.phase != .exiting && $0.phase != .retiring }.count
        if working > scenario.workers {
            violate("\(working) workers taking tasks in a pool of \(scenario.workers)")
        }
    }

    /// Every call ends: the schedule is over, the pool is closed, and the workers behave (their
    /// items keep their natures); time passes for timeouts and back-offs.
    private func drain() {
        eventIndex = scenario.events.count
        for call in calls { open(call) }
        if !closed { closed = true; core.close() }
        for call in calls where call.spec.stream && !call.cancelled {
            submit(call, upTo: call.spec.items)
        }
        settle()
        var round = 0
        while round < Self.maxDrainRounds {
            round += 1
            let allEnded = calls.allSatisfy { $0.sink?.isFinished == true && core.calls[$0.id] == nil }
            if allEnded && core.slots.isEmpty && liveWorkers.isEmpty { break }
            for worker in liveWorkers {
                worker.perform(.read)
                worker.perform(.step)
                if round % 3 == 0 { worker.perform(.flush) }
            }
            if round % 4 == 0 { reactor.advance(by: .milliseconds(20)) }
            settle()
            if trace { print("== drain \(round)\n\(stateDump)") }
            for call in calls { consume(call) }
            check()
            if !violations.isEmpty { return }
        }
        for call in calls {
            guard let sink = call.sink else { continue }
            if !sink.isFinished || core.calls[call.id] != nil {
                violate("call \(call.index) never ended (\(call.outcomes.count) of \(call.spec.items) delivered)")
                continue
            }
            if call.cancelled {
                if !(sink.terminalError is CancellationError) && call.outcomes.count != call.spec.items {
                    violate("cancelled call \(call.index) ended with \(String(describing: sink.terminalError))")
                }
                continue
            }
            if let error = sink.terminalError { violate("call \(call.index) failed: \(error)") }
            for index in 0..<call.spec.items {
                let item = ItemKey(call: call.index, index: index)
                guard let outcome = call.outcomes[index] else {
                    violate("item \(item) (\(nature(of: item))) never delivered")
                    continue
                }
                if nature(of: item).isBad, case .output = outcome { continue }  // judged already
                if nature(of: item).isBad, case .threw = outcome { continue }
                if nature(of: item).isBad, case .charged = outcome {
                    // Charged: every run of it ended in a death it was exposed to (none is
                    // re-queued without bound, none runs after its result was delivered).
                    let runs = begun[item] ?? 0
                    if runs > (exposures[item] ?? 0) {
                        violate("bad item \(item) ran \(runs) times (retries \(call.spec.retries)) for \(exposures[item] ?? 0) death(s)")
                    }
                }
            }
        }
        if !core.slots.isEmpty || !liveWorkers.isEmpty {
            violate("\(core.slots.count) worker(s) still in the pool after it closed and its calls ended")
        }
        let started = core.statistics.workersStarted
        if started > scenario.workers + deaths {
            violate("\(started) workers started for \(scenario.workers) and \(deaths) deaths: respawned in a loop")
        }
    }

    private func tearDown() {
        // Whatever is left (a run stopped at a violation) is killed and reaped, so that every
        // descriptor is closed before the next run.
        core.spawn = { _ throws(SpawnFailure) in throw SpawnFailure(step: "model over", code: EINVAL) }
        core.terminate()
        for _ in 0..<8 where reactor.step() > 0 {}
        for worker in workers { worker.release() }
        for _ in 0..<8 where reactor.step() > 0 {}
        reactor.shutDown()
    }
}
