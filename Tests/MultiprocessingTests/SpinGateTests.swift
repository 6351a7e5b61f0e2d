import Testing
@testable import Multiprocessing

/// The rule that stops the reactor's and the workers' spins while their thread keeps losing its
/// CPU (mp-bench's apply-latency-oversubscribed row shows what it is for), on a clock of our own.
@Suite("Spin gate")
struct SpinGateTests {
    @Test func aSpinWhoseRoundsFollowEachOtherGoesOn() {
        var gate = SpinGate()
        var allowed: Bool
        for round in 0..<100 {
            allowed = gate.allowsSpin(at: 1_000 + UInt64(round) * 1_000)
            #expect(allowed)
        }
        gate.spinEnded(at: 101_000)
        allowed = gate.allowsSpin(at: 200_000)
        #expect(allowed)
    }

    @Test func aStallBetweenRoundsPausesSpinningThenItResumes() {
        var gate = SpinGate()
        var allowed: Bool
        allowed = gate.allowsSpin(at: 1_000)
        #expect(allowed)
        allowed = gate.allowsSpin(at: 1_000 + SpinGate.stallNanos + 1)
        #expect(!allowed)
        let stalled = 1_000 + SpinGate.stallNanos + 1
        allowed = gate.allowsSpin(at: stalled + SpinGate.initialPauseNanos - 1)
        #expect(!allowed)
        allowed = gate.allowsSpin(at: stalled + SpinGate.initialPauseNanos)
        #expect(allowed)
    }

    @Test func aStallSeenWhenTheSpinEndsCountsToo() {
        // A thread descheduled in its last yield finds the spin's time up: the gap still counts.
        var gate = SpinGate()
        var allowed: Bool
        allowed = gate.allowsSpin(at: 1_000)
        #expect(allowed)
        gate.spinEnded(at: 1_000 + SpinGate.stallNanos + 1)
        allowed = gate.allowsSpin(at: 2_000 + SpinGate.stallNanos)
        #expect(!allowed)
    }

    @Test func pausesDoubleWhileStallsGoOnAndResetAfterACleanSpin() {
        var gate = SpinGate()
        var allowed: Bool
        var now: UInt64 = 1_000
        var expected = SpinGate.initialPauseNanos
        for _ in 0..<8 {
            allowed = gate.allowsSpin(at: now)
            #expect(allowed)
            now += SpinGate.stallNanos + 1
            allowed = gate.allowsSpin(at: now)
            #expect(!allowed)
            allowed = gate.allowsSpin(at: now + expected - 1)
            #expect(!allowed)
            now += expected
            expected = min(expected * 2, SpinGate.maximumPauseNanos)
        }
        // A clean spin: the next stall pauses for the initial time again.
        allowed = gate.allowsSpin(at: now)
        #expect(allowed)
        gate.spinEnded(at: now + 1_000)
        now += 10_000
        allowed = gate.allowsSpin(at: now)
        #expect(allowed)
        now += SpinGate.stallNanos + 1
        allowed = gate.allowsSpin(at: now)
        #expect(!allowed)
        allowed = gate.allowsSpin(at: now + SpinGate.initialPauseNanos)
        #expect(allowed)
    }
}
