import Distributed

/// A list in a process of its own: Python's `Manager().list()`.
public distributed actor SharedList<Element: Codable & Sendable>: ProcessHostedActor {
    public typealias ActorSystem = ProcessActorSystem
    private var storage: [Element] = []

    /// Creates an empty list, in the actor's own process: the system calls this there; a program
    /// creates one with `ProcessActorSystem.spawn`.
    public init(actorSystem: ProcessActorSystem) {
        self.actorSystem = actorSystem
    }

    /// `l.append(x)`; returns the new count.
    @discardableResult
    public distributed func append(_ element: Element) -> Int {
        storage.append(element)
        return storage.count
    }

    /// `l.extend(xs)`; returns the new count.
    @discardableResult
    public distributed func append(contentsOf elements: [Element]) -> Int {
        storage.append(contentsOf: elements)
        return storage.count
    }

    /// `l[i]`; nil when out of range (Python raises `IndexError`).
    public distributed func element(at index: Int) -> Element? {
        storage.indices.contains(index) ? storage[index] : nil
    }

    /// `l.pop()`; nil when empty.
    public distributed func popLast() -> Element? { storage.popLast() }

    /// `list(l)`: a copy of everything.
    public distributed func snapshot() -> [Element] { storage }

    /// `len(l)`.
    public distributed func count() -> Int { storage.count }
}
