#if canImport(Glibc)
import Glibc
#endif

/// Image files on disk: their bytes, and which codec their name asks for.
public enum ImageFile {
    public enum Format: String, Sendable, Codable {
        case png, jpeg

        /// The format a file name's extension names (a batch trusts its names, as a real one does).
        public init?(path: String) {
            let lowered = path.lowercased()
            if lowered.hasSuffix(".png") { self = .png }
            else if lowered.hasSuffix(".jpg") || lowered.hasSuffix(".jpeg") { self = .jpeg }
            else { return nil }
        }

        public var fileExtension: String { self == .png ? "png" : "jpg" }
    }

    public static func read(_ path: String) throws(CodecError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CodecError(.file, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CodecError(.file, "cannot stat \(path)") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            done += count
        }
        return Array(bytes.prefix(done))
    }

    /// Writes `bytes` to `path` (replacing it).
    public static func write(_ bytes: [UInt8], to path: String) throws(CodecError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CodecError(.file, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw CodecError(.file, "cannot write \(path): \(String(cString: strerror(errno)))") }
            done += count
        }
    }

    /// Decodes a file's bytes with the codec its name asks for, to `channels` (3: RGB, 1: gray).
    public static func decode(_ bytes: [UInt8], format: Format, channels: Int = 3) throws(CodecError) -> Image {
        // libpng would say "invalid argument", libjpeg "Empty input file": say it plainly.
        guard !bytes.isEmpty else { throw CodecError(.file, "empty file (0 bytes)") }
        switch format {
        case .png: return try PNGCodec.decode(bytes, channels: channels)
        case .jpeg: return try JPEGCodec.decode(bytes, channels: channels)
        }
    }

    public static func encode(_ image: Image, format: Format) throws(CodecError) -> [UInt8] {
        switch format {
        case .png: return try PNGCodec.encode(image)
        case .jpeg: return try JPEGCodec.encode(image, quality: 85)
        }
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(CodecError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CodecError(.file, "cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names of the image files in `directory`, sorted.
    public static func list(_ directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if Format(path: name) != nil { names.append(name) }
        }
        return names.sorted()
    }
}
