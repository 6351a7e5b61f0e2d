/// The coordinator's book of URLs: which it has seen (de-duplication), at what depth, which wait
/// for their host, which are in flight; and the per-host limit. A value type with no I/O, so that
/// its rules can be tested alone.
///
/// **Depths are shortest paths.** Pages complete in any order, so a URL may first be found
/// through a long path (depth 5) and later through a short one (depth 2). Keeping the first depth
/// would make the crawled set depend on timing: the links of that page would be cut by the
/// depth limit in one run and followed in another. So a shorter path lowers a URL's depth, and
/// that flows on to the links of a page already done (and lets a URL that was too deep in).
/// The crawled set is then exactly the URLs whose shortest path from the root is within the limit.
struct Frontier {
    struct Rules {
        var maxDepth: Int
        var perHostLimit: Int
        /// The origins (`http://host:port`) the crawl stays on.
        var origins: Set<String>
    }

    enum State: Equatable {
        /// Found only beyond the depth limit (so far).
        case tooDeep
        /// Waiting for a free slot of its host.
        case queued
        case inFlight
        /// Waiting to be tried again.
        case backingOff
        /// Finished; its in-scope links, as node numbers, for depth updates.
        case done(links: [Int])
    }

    struct Node {
        let url: CrawlURL
        var depth: Int
        var state: State
        var attempts = 0
    }

    let rules: Rules
    private(set) var nodes: [Node] = []
    private var numbers: [CrawlURL: Int] = [:]
    private var queues: [String: FIFO] = [:]
    private(set) var inFlight: [String: Int] = [:]
    /// The most pages of each host that were in flight at once.
    private(set) var peakInFlight: [String: Int] = [:]
    private(set) var backingOff = 0
    /// Links to hosts outside the crawl, counted once per page they appear on.
    private(set) var externalLinks = 0

    init(rules: Rules) {
        self.rules = rules
    }

    /// Nothing waits, nothing runs: the crawl is over.
    var isDrained: Bool {
        backingOff == 0 && inFlight.values.allSatisfy { $0 == 0 } && queues.values.allSatisfy(\.isEmpty)
    }

    func number(of url: CrawlURL) -> Int? { numbers[url] }

    // MARK: Finding URLs

    /// Notes a link found at `depth`; returns its node, or nil if it leaves the crawl's hosts.
    @discardableResult
    mutating func discover(_ url: CrawlURL, depth: Int) -> Int? {
        guard rules.origins.contains(url.origin) else {
            externalLinks += 1
            return nil
        }
        if let number = numbers[url] {
            lower(number, to: depth)
            return number
        }
        let number = nodes.count
        numbers[url] = number
        nodes.append(Node(url: url, depth: depth, state: depth > rules.maxDepth ? .tooDeep : .queued))
        if depth <= rules.maxDepth { queues[url.origin, default: FIFO()].push(number) }
        return number
    }

    /// A shorter path to `number`: lowers its depth and, if it is done, its links' depths.
    private mutating func lower(_ number: Int, to depth: Int) {
        var work = [(number, depth)]
        while let (current, newDepth) = work.popLast() {
            guard newDepth < nodes[current].depth else { continue }
            nodes[current].depth = newDepth
            switch nodes[current].state {
            case .tooDeep where newDepth <= rules.maxDepth:
                nodes[current].state = .queued
                queues[nodes[current].url.origin, default: FIFO()].push(current)
            case let .done(links):
                work.append(contentsOf: links.map { ($0, newDepth + 1) })
            default:
                break   // queued, in flight or backing off: its links will be found at the new depth
            }
        }
    }

    // MARK: Dispatching

    /// Takes the queued URLs whose hosts have a free slot, and marks them in flight.
    mutating func takeDispatchable() -> [Int] {
        var taken: [Int] = []
        for origin in queues.keys.sorted() {
            while inFlight[origin, default: 0] < rules.perHostLimit, let number = queues[origin]?.pop() {
                nodes[number].state = .inFlight
                nodes[number].attempts += 1
                inFlight[origin, default: 0] += 1
                peakInFlight[origin] = max(peakInFlight[origin, default: 0], inFlight[origin]!)
                taken.append(number)
            }
        }
        return taken
    }

    /// A page came back; with `links` (in scope or not) if it is to be followed. With
    /// `holdingSlot`, its host's slot stays taken until ``releaseSlot(of:)``.
    mutating func finish(_ number: Int, links: [CrawlURL], holdingSlot: Bool = false) {
        if holdingSlot {
            precondition(nodes[number].state == .inFlight, "\(nodes[number].url) came back but was not in flight")
        } else {
            release(number)
        }
        let childDepth = nodes[number].depth + 1
        let children = links.compactMap { discover($0, depth: childDepth) }
        nodes[number].state = .done(links: children)
    }

    /// A page is to be tried again later: it gives back its host's slot meanwhile.
    mutating func backOff(_ number: Int) {
        release(number)
        nodes[number].state = .backingOff
        backingOff += 1
    }

    /// Its wait is over: back in its host's queue.
    mutating func retry(_ number: Int) {
        precondition(nodes[number].state == .backingOff)
        backingOff -= 1
        nodes[number].state = .queued
        queues[nodes[number].url.origin, default: FIFO()].push(number)
    }

    /// Gives back a slot kept by `finish(_:links:holdingSlot:)`.
    mutating func releaseSlot(of origin: String) {
        inFlight[origin]! -= 1
    }

    private mutating func release(_ number: Int) {
        precondition(nodes[number].state == .inFlight, "\(nodes[number].url) came back but was not in flight")
        inFlight[nodes[number].url.origin]! -= 1
    }
}

/// A queue of node numbers: an array read from a moving head, compacted now and then, so that
/// a pop costs O(1) where `Array.removeFirst` would cost O(n).
struct FIFO {
    private var items: [Int] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func push(_ item: Int) {
        items.append(item)
    }

    mutating func pop() -> Int? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}
