#if Postgres
import Multiprocessing
@testable import MultiprocessingPostgresChaos
import Testing

/// The fault runner's checks catch what they count: without these, a suite that always reports
/// 0 would pass.
@Suite struct ChaosCheckTests {
    let job = ChaosJob(salt: 7, journal: "", napMicroseconds: 0, poisonModulus: 10, throwResidue: 3, crashResidue: 5)

    func value(_ x: Int) -> UInt64 {
        guard case let .value(value) = job.expected(x) else { return 0 }
        return value
    }

    @Test func aWrongValueAFailedHealthyTaskAndAnUnrunSuccessAreWrong() {
        #expect(ChaosRunner.wrongness(job.expected(1), .success(value(1)), index: 1, executions: 1) == nil)
        #expect(ChaosRunner.wrongness(job.expected(1), .success(value(2)), index: 1, executions: 1) != nil)
        #expect(ChaosRunner.wrongness(job.expected(1), .success(value(1)), index: 1, executions: 0) != nil)
        let dead = JobFailure(reason: .failedOnHost(host: "h", cause: "lease expired"), jobType: "ChaosJob", index: 1)
        #expect(ChaosRunner.wrongness(job.expected(1), .failure(dead), index: 1, executions: 3) != nil)
        // Another job's value for the same input is wrong too.
        let other = ChaosJob(salt: 8, journal: "", napMicroseconds: 0)
        guard case let .value(theirs) = other.expected(1) else { return }
        #expect(ChaosRunner.wrongness(job.expected(1), .success(theirs), index: 1, executions: 1) != nil)
    }

    @Test func aPoisonedTaskMustFailWithAStorableTextOfItsOwn() {
        #expect(job.expected(3) == .thrown && job.expected(5) == .crashed)
        let errorType = String(reflecting: ChaosJob.PoisonedError.self)
        let thrown = JobFailure(reason: .threw(errorType: errorType, message: "poisoned 3\u{FFFD}here x"), jobType: "ChaosJob", index: 3)
        #expect(ChaosRunner.wrongness(.thrown, .failure(thrown), index: 3, executions: 1) == nil)
        let withNUL = JobFailure(reason: .threw(errorType: errorType, message: "poisoned 3\u{0}here"), jobType: "ChaosJob", index: 3)
        #expect(ChaosRunner.wrongness(.thrown, .failure(withNUL), index: 3, executions: 1) != nil)
        #expect(ChaosRunner.wrongness(.thrown, .success(1), index: 3, executions: 1) != nil)
        let crash = JobFailure(reason: .failedOnHost(host: "h", cause: "crashed (stderr: poisoned\u{FFFD})"), jobType: "ChaosJob", index: 5)
        #expect(ChaosRunner.wrongness(.crashed, .failure(crash), index: 5, executions: 3) == nil)
        #expect(ChaosRunner.wrongness(.crashed, .failure(thrown), index: 5, executions: 3) != nil)
    }

    @Test func theLedgerCountsLostAndTwiceDeliveredOutcomes() {
        let ledger = ChaosLedger(total: 4)
        ledger.record(0, .success(1))
        ledger.record(2, .success(1))
        ledger.record(2, .success(1))
        #expect(ledger.lost == 2)
        #expect(ledger.duplicated == 1)
        #expect(ledger.delivered == 2)
    }

    @Test func aReportWithAnythingLostDuplicatedOrWrongIsNotClean() {
        var report = ChaosRoundReport(fault: .serverRestart, seed: 1, tasks: 10)
        report.completed = true
        #expect(report.isClean)
        for damage in [\ChaosRoundReport.lost, \.duplicatedDeliveries, \.duplicatedRecords, \.wrong] {
            var damaged = report
            damaged[keyPath: damage] = 1
            #expect(!damaged.isClean)
        }
    }
}
#endif  // Postgres
