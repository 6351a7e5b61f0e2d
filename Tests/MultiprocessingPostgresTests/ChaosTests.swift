#if Postgres
import Foundation
import Multiprocessing
@testable import MultiprocessingPostgresChaos
import Testing

extension DistributedPoolTests {
    /// The fault-injection suite's short form (`mp-postgres chaos` is the long one): each fault
    /// once with a fixed seed, then a few random seeds; nothing lost, delivered or recorded
    /// twice, or wrong, and every job completes. Nested in ``DistributedPoolTests``, so that it
    /// runs alone: a server restart must not land in another test.
    @Suite struct Chaos {
        /// Small rounds: 1,200 tasks of 2 ms on two hosts, one fault each.
        static func runner(_ server: PostgresServer.Server, hangGuard: Duration = .seconds(120)) throws -> ChaosRunner {
            try ChaosRunner(options: .init(url: server.url, server: server.control, tasks: 1_200, napMicroseconds: 2_000,
                                           faultsPerRound: 1, leaseSeconds: 2, hangGuard: hangGuard))
        }

        static let faults: [ChaosFault] = [.serverRestart, .serverKill, .hostFreeze, .hostCut, .hostKill, .poison, .mixedBuild]

        @Test(arguments: faults)
        func aJobThroughOneFaultLosesDuplicatesAndCorruptsNothing(_ fault: ChaosFault) async throws {
            let runner = try Self.runner(try await PostgresServer.shared.start())
            defer { runner.close() }
            let report = try await runner.run(fault, seed: 20_261_203)
            Self.expectClean(report)
            if fault.isHostFault {
                #expect(report.stranded.count == 1, "the fault was not injected: \(report.notes)")
            }
            if fault == .serverRestart || fault == .serverKill {
                #expect(report.recoveries.count == 1, "the fault was not injected: \(report.notes)")
            }
        }

        @Test func jobsThroughFaultsAtRandomSeedsLoseNothing() async throws {
            let runner = try Self.runner(try await PostgresServer.shared.start())
            defer { runner.close() }
            var seeds = SystemRandomNumberGenerator()
            for _ in 0..<3 {
                let seed = UInt64.random(in: 0...UInt64(UInt32.max), using: &seeds)
                let fault = [ChaosFault.serverRestart, .serverKill, .hostFreeze, .hostKill][Int(seed % 4)]
                let report = try await runner.run(fault, seed: seed)
                Self.expectClean(report)
            }
        }

        /// The checks catch a real loss: one task's outcome is dropped on purpose (its
        /// write-back to a final state skipped by a trigger, every time), and the round must
        /// report exactly that task lost, and the job not completed.
        @Test func aRoundWithOneWriteBackBrokenOnPurposeReportsItLost() async throws {
            let server = try await PostgresServer.shared.start()
            let runner = try ChaosRunner(options: .init(url: server.url, tasks: 300, napMicroseconds: 1_000, faultsPerRound: 0,
                                                        leaseSeconds: 2, hangGuard: .seconds(20), dropsOneOutcome: true))
            defer { runner.close() }
            let report = try await runner.run(.hostKill, seed: 20_261_203)
            let context = Comment(rawValue: "\(report)\n" + report.notes.joined(separator: "\n"))
            #expect(report.lost == 1, context)
            #expect(!report.completed && !report.isClean, context)
            #expect(report.duplicatedDeliveries == 0 && report.duplicatedRecords == 0 && report.wrong == 0, context)
        }

        static func expectClean(_ report: ChaosRoundReport, sourceLocation: SourceLocation = #_sourceLocation) {
            let context = Comment(rawValue: "\(report)\n" + report.notes.joined(separator: "\n"))
            #expect(report.completed, context, sourceLocation: sourceLocation)
            #expect(report.lost == 0, context, sourceLocation: sourceLocation)
            #expect(report.duplicatedDeliveries == 0, context, sourceLocation: sourceLocation)
            #expect(report.duplicatedRecords == 0, context, sourceLocation: sourceLocation)
            #expect(report.wrong == 0, context, sourceLocation: sourceLocation)
        }
    }
}
#endif  // Postgres
