import Foundation

/// A fresh directory under the system's temporary directory, for one test.
struct TemporaryDirectory {
    let path: String

    /// Writes `text`'s UTF-8 bytes to a file in the directory and returns its path.
    func file(_ name: String, _ text: String) -> String {
        file(name, bytes: Array(text.utf8))
    }

    func file(_ name: String, bytes: [UInt8]) -> String {
        let path = self.path + "/" + name
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot create \(path)")
        return path
    }
}

/// Runs `body` with a new temporary directory, removed with its files afterwards.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async rethrows -> T {
    let directory = TemporaryDirectory(path: NSTemporaryDirectory() + "wordfreq-test-" + UUID().uuidString)
    try! FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory.path) }
    return try await body(directory)
}

/// Runs `body` with a file holding `text` in a new temporary directory, removed afterwards.
func withTemporaryFile<T>(_ text: String, _ body: (String) async throws -> T) async rethrows -> T {
    try await withTemporaryDirectory { directory in try await body(directory.file("text.txt", text)) }
}
