import Distributed

extension ProcessActorSystem {
    /// Creates an actor of type `type` in a new child process and returns a reference to it.
    ///
    /// ```swift
    /// let counter = try await system.spawn(Counter.self, options: .init(maxRestarts: 3))
    /// ```
    ///
    /// - Throws: ``ProcessPoolError/unresolvableJobType(_:reason:)`` for a type a child cannot
    ///   find by name (one declared inside a function), as a pool does for a job;
    ///   ``ProcessPoolError/spawnFailed(_:)`` when no process could be started; a ``JobFailure``
    ///   when the process died before the actor existed.
    public func spawn<A: ProcessHostedActor>(_ type: A.Type, options: ProcessActorOptions = ProcessActorOptions()) async throws -> A {
        let typeName = try JobTypeName.of(type)
        guard options.maxRestarts >= 0 else { throw ProcessPoolError.invalidArgument("maxRestarts must not be negative") }
        let core = ActorHostCore(id: makeID(), typeName: typeName, displayName: String(reflecting: type), options: options)
        try register(core)
        try await core.start()
        return try A.resolve(id: core.id, using: self)
    }

    /// Ends every actor of this system: calls already sent finish, later ones fail with
    /// ``ProcessActorError/actorStopped(_:cause:)``, and each actor's process exits. Returns
    /// once they all have.
    public func shutDown() async {
        let hosts = markShutDown()
        await withTaskGroup(of: Void.self) { group in
            for host in hosts { group.addTask { await host.shutDown() } }
        }
    }
}
