import ArgumentParser

// Placeholder: replaced by the use case's own command.
struct ThumbnailsCommand: Demo {
    static let configuration = CommandConfiguration(commandName: "thumbnails")
    static let title = "Thumbnails"
    static func runDefault() async throws { print("not yet") }
    func run() async throws { try await Self.runDefault() }
}
