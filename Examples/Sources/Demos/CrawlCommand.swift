import ArgumentParser

// Placeholder: replaced by the use case's own command.
struct CrawlCommand: Demo {
    static let configuration = CommandConfiguration(commandName: "crawl")
    static let title = "Crawl"
    static func runDefault() async throws { print("not yet") }
    func run() async throws { try await Self.runDefault() }
}
