import ArgumentParser

// Placeholder: replaced by the use case's own command.
struct WordFreqCommand: Demo {
    static let configuration = CommandConfiguration(commandName: "wordfreq")
    static let title = "WordFreq"
    static func runDefault() async throws { print("not yet") }
    func run() async throws { try await Self.runDefault() }
}
