#if Tools
import Multiprocessing

/// A map over large nested Codable values: the general coder's path, not `[UInt8]`'s fast one.
enum NestedValues: Scenario {
    static let name = "nested-values"
    static let summary = "pool.map(TotalOrder(), 10,000 orders), default chunking, all CPUs: each order a struct "
        + "with a nested customer and address, 20 lines (sku String, quantity Int, price Double) and 3 tags; "
        + "the worker returns a summary computed from every line; orders/s. Python: the same as nested dicts."

    static var countKeys: [String] { ["orders", "lines_per_order", "workers"] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "orders/s", higherIsBetter: true, ours: "orders_per_s", peer: "orders_per_s",
                 cpu: CPUSpec(work: "orders", unit: "orders/CPU-s")) { _ in
            .none("reported (no goal)")
        }]
    }

    static let linesPerOrder = 20

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 1_000 : 10_000
        let orders = (0..<count).map { BenchOrder.make($0, lines: linesPerOrder) }
        return try await withProcessPool { pool in
            let meter = CPUMeter(workers: try await warmUp(pool))
            let watch = Stopwatch()
            let summaries = try await pool.map(TotalOrder(), orders)
            let seconds = watch.seconds
            let cpu = try meter.metrics()
            // Every summary, computed again here from the order (after the clock): a worker that
            // skipped a line, the tags or the address, or answered for another order, fails.
            try check(summaries.count == count, "\(summaries.count) summaries for \(count) orders")
            for (order, summary) in zip(orders, summaries) where summary != order.summary() {
                throw BenchError.wrongResult("order \(order.id)'s summary is \(summary), not \(order.summary())")
            }
            return ["orders_per_s": Double(count) / seconds, "seconds": seconds, "orders": Double(count),
                    "lines_per_order": Double(linesPerOrder), "workers": Double(pool.workerCount)].merging(cpu)
        }
    }
}

struct BenchAddress: Codable, Sendable {
    var street: String
    var city: String
    var postcode: String
}

struct BenchCustomer: Codable, Sendable {
    var id: Int
    var name: String
    var address: BenchAddress
}

struct BenchLine: Codable, Sendable {
    var sku: String
    var quantity: Int
    var price: Double
}

struct BenchOrder: Codable, Sendable {
    var id: Int
    var customer: BenchCustomer
    var lines: [BenchLine]
    var tags: [String]

    /// Order `index` (the peer builds the same, as dicts).
    static func make(_ index: Int, lines: Int) -> BenchOrder {
        BenchOrder(
            id: index,
            customer: BenchCustomer(id: index % 997, name: "customer \(index % 997)",
                                    address: BenchAddress(street: "\(index % 89) Long Street", city: "City \(index % 13)",
                                                          postcode: "PC\(index % 10_000)")),
            lines: (0..<lines).map { line in
                BenchLine(sku: "SKU-\(index % 50)-\(line)", quantity: 1 + (index + line) % 7,
                          price: Double((index * 31 + line * 17) % 10_000) / 100)
            },
            tags: ["tag\(index % 3)", "tag\(index % 5)", "tag\(index % 7)"])
    }

    /// What the worker computes: from every line, the tags and the address.
    func summary() -> BenchSummary {
        var total = 0.0
        var quantity = 0
        var skuBytes = 0
        for line in lines {
            total += Double(line.quantity) * line.price
            quantity += line.quantity
            skuBytes += line.sku.utf8.count
        }
        return BenchSummary(id: id, customer: customer.id, total: total, quantity: quantity, skuBytes: skuBytes,
                            tagBytes: tags.reduce(0) { $0 + $1.utf8.count },
                            addressBytes: customer.address.street.utf8.count + customer.address.city.utf8.count
                                + customer.address.postcode.utf8.count)
    }
}

struct BenchSummary: Codable, Sendable, Equatable {
    var id: Int
    var customer: Int
    var total: Double
    var quantity: Int
    var skuBytes: Int
    var tagBytes: Int
    var addressBytes: Int
}

struct TotalOrder: Job {
    func run(_ order: BenchOrder) async throws -> BenchSummary { order.summary() }
}
#endif  // Tools
