#if Tools
/// Just enough JSON for the tool, without Foundation (a worker is this executable started
/// again, so everything it links is loaded in every worker, and that is measured).
indirect enum JSON {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    /// Keys keep their order.
    case object([(String, JSON)])

    static func number(_ value: Double?) -> JSON {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }

    static func string(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }

    // MARK: Writing

    /// Compact on one line when `indent` is nil, else pretty-printed.
    func rendered(indent: Int? = nil) -> String {
        var output = ""
        write(to: &output, indent: indent, level: 0)
        return output
    }

    private func write(to output: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: output += "null"
        case let .bool(value): output += value ? "true" : "false"
        case let .number(value): output += JSON.format(value)
        case let .string(value): JSON.quote(value, into: &output)
        case let .array(items):
            // Arrays of plain numbers stay on one line even when pretty-printing.
            let inline = indent == nil || items.allSatisfy { if case .number = $0 { true } else { false } }
            writeList(items.map { (nil, $0) }, open: "[", close: "]", inline: inline, to: &output, indent: indent, level: level)
        case let .object(members):
            writeList(members.map { ($0.0, $0.1) }, open: "{", close: "}", inline: indent == nil,
                      to: &output, indent: indent, level: level)
        }
    }

    private func writeList(_ items: [(String?, JSON)], open: String, close: String, inline: Bool,
                           to output: inout String, indent: Int?, level: Int) {
        output += open
        if items.isEmpty { output += close; return }
        let pad = String(repeating: " ", count: (indent ?? 0) * (level + 1))
        for (position, (key, value)) in items.enumerated() {
            if position > 0 { output += inline ? ", " : "," }
            if !inline { output += "\n" + pad }
            if let key {
                JSON.quote(key, into: &output)
                output += ": "
            }
            value.write(to: &output, indent: indent, level: level + 1)
        }
        if !inline { output += "\n" + String(repeating: " ", count: (indent ?? 0) * level) }
        output += close
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func quote(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    // MARK: Reading

    /// Parses one JSON text; nil when it is not valid JSON.
    static func parse(_ text: String) -> JSON? {
        var parser = Parser(bytes: Array(text.utf8))
        guard let value = parser.value() else { return nil }
        parser.skipSpace()
        return parser.position == parser.bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func consume(_ literal: String) -> Bool {
            let literalBytes = Array(literal.utf8)
            guard bytes.count - position >= literalBytes.count,
                  Array(bytes[position..<position + literalBytes.count]) == literalBytes else { return false }
            position += literalBytes.count
            return true
        }

        mutating func value() -> JSON? {
            skipSpace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string().map(JSON.string)
            case UInt8(ascii: "t"): return consume("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return consume("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return consume("null") ? .null : nil
            default: return number()
            }
        }

        mutating func object() -> JSON? {
            position += 1
            var members: [(String, JSON)] = []
            skipSpace()
            if consume("}") { return .object(members) }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard consume(":"), let member = value() else { return nil }
                members.append((key, member))
                skipSpace()
                if consume(",") { continue }
                return consume("}") ? .object(members) : nil
            }
        }

        mutating func array() -> JSON? {
            position += 1
            var items: [JSON] = []
            skipSpace()
            if consume("]") { return .array(items) }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                skipSpace()
                if consume(",") { continue }
                return consume("]") ? .array(items) : nil
            }
        }

        mutating func string() -> String? {
            position += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") {
                    flush()
                    return String(scalars)
                }
                guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
                guard position < bytes.count else { return nil }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): raw.append(0x0A)
                case UInt8(ascii: "t"): raw.append(0x09)
                case UInt8(ascii: "r"): raw.append(0x0D)
                case UInt8(ascii: "b"): raw.append(0x08)
                case UInt8(ascii: "f"): raw.append(0x0C)
                case UInt8(ascii: "u"):
                    guard bytes.count - position >= 4,
                          let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
                    else { return nil }
                    position += 4
                    flush()
                    // Surrogate pairs are not needed here; a lone one becomes U+FFFD.
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: raw.append(escaped)
                }
            }
            return nil
        }

        mutating func number() -> JSON? {
            let start = position
            while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
            guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                return nil
            }
            return .number(value)
        }
    }
}

extension Metrics {
    /// One line of JSON: what `mp-bench measure` prints.
    var jsonLine: String {
        JSON.object(sorted { $0.key < $1.key }.map { ($0.key, JSON.number($0.value)) }).rendered()
    }

    /// The numeric members of a JSON object line (others are ignored); nil when not an object.
    init?(jsonLine: String) {
        guard case let .object(members)? = JSON.parse(jsonLine) else { return nil }
        var metrics: Metrics = [:]
        for (key, value) in members {
            if case let .number(number) = value { metrics[key] = number }
        }
        self = metrics
    }
}
#endif  // Tools
