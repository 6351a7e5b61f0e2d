import Testing
@testable import Multiprocessing

// MARK: - Helpers

private func roundTrip<T: Codable>(_ value: T) throws -> T {
    let bytes = try BinaryEncoder().encode(value)
    return try BinaryDecoder().decode(T.self, from: bytes)
}

private func expectRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let decoded = try roundTrip(value)
    #expect(decoded == value, sourceLocation: sourceLocation)
}

/// The message bytes of `value`, as a fixture for malformed-input tests.
private func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
    try BinaryEncoder().encode(value)
}

private extension Array where Element == UInt8 {
    mutating func appendUInt32(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }
}

/// A message around a hand-made body with an empty key table.
private func message(body: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.appendUInt32(UInt32(body.count))
    bytes += body
    bytes.append(0)
    return bytes
}

// MARK: - Fixture types

private struct Point: Codable, Equatable {
    var x: Double
    var y: Double
}

private struct Line: Codable, Equatable {
    var name: String
    var from: Point
    var to: Point
    var tags: [String]
    var weights: [Float]
    var children: [Line]
    var note: String?
}

private enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case rectangle(width: Int, height: Int)
    case polygon([Point])
    case labelled(String, Int)
    case named(name: String, Point?)
    case empty
}

private class Animal: Codable, Equatable {
    var name: String
    var legs: Int

    init(name: String, legs: Int) {
        self.name = name
        self.legs = legs
    }

    static func == (lhs: Animal, rhs: Animal) -> Bool {
        lhs.isEqual(to: rhs)
    }

    func isEqual(to other: Animal) -> Bool {
        type(of: self) == type(of: other) && name == other.name && legs == other.legs
    }
}

private final class Dog: Animal {
    var breed: String
    var goodBoy: Bool

    init(name: String, breed: String) {
        self.breed = breed
        self.goodBoy = true
        super.init(name: name, legs: 4)
    }

    private enum CodingKeys: String, CodingKey {
        case breed, goodBoy
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        breed = try container.decode(String.self, forKey: .breed)
        goodBoy = try container.decode(Bool.self, forKey: .goodBoy)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(breed, forKey: .breed)
        try container.encode(goodBoy, forKey: .goodBoy)
        try super.encode(to: container.superEncoder())
    }

    override func isEqual(to other: Animal) -> Bool {
        guard let other = other as? Dog else { return false }
        return super.isEqual(to: other) && breed == other.breed && goodBoy == other.goodBoy
    }
}

/// A subclass that shares its superclass's container (no superEncoder), as many hand-written ones do.
private final class Cat: Animal {
    var lives: Int

    init(name: String, lives: Int) {
        self.lives = lives
        super.init(name: name, legs: 4)
    }

    private enum CodingKeys: String, CodingKey {
        case lives
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lives = try container.decode(Int.self, forKey: .lives)
        try super.init(from: decoder)
    }

    override func encode(to encoder: any Encoder) throws {
        try super.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lives, forKey: .lives)
    }

    override func isEqual(to other: Animal) -> Bool {
        guard let other = other as? Cat else { return false }
        return super.isEqual(to: other) && lives == other.lives
    }
}

private struct Empty: Codable, Equatable {}

private struct Optionals: Codable, Equatable {
    var a: Int?
    var b: Int??
    var c: String?
    var d: [Int?]
    var e: Point?
    var f: Int???
}

private struct GridKey: Codable, Hashable {
    var row: Int
    var column: Int
}

private struct Dictionaries: Codable, Equatable {
    var byName: [String: Int]
    var byNumber: [Int: String]
    var byStruct: [GridKey: Double]
    var nested: [String: [Int: [String]]]
    var byBool: [Bool: String]
}

/// Edge values of every integer type.
private struct Integers: Codable, Equatable {
    var i: [Int]
    var i8: [Int8]
    var i16: [Int16]
    var i32: [Int32]
    var i64: [Int64]
    var u: [UInt]
    var u8: [UInt8]
    var u16: [UInt16]
    var u32: [UInt32]
    var u64: [UInt64]
    // Scalars too, which take the per-field path rather than the typed block.
    var si: Int
    var si8: Int8
    var si16: Int16
    var si32: Int32
    var si64: Int64
    var su: UInt
    var su8: UInt8
    var su16: UInt16
    var su32: UInt32
    var su64: UInt64
}

private func edges<T: FixedWidthInteger>(_: T.Type) -> [T] {
    var values: [T] = [T.min, T.max, 0, 1]
    if T.isSigned { values.append(-1) }
    values.append(T.max / 2)
    return values
}

private struct Floats: Codable {
    var doubles: [Double]
    var floats: [Float]
    var double: Double
    var float: Float
    var boxedDoubles: [Double?]
}

private let doubleEdges: [Double] = [
    .nan,
    Double(nan: 0x1234, signaling: false),
    Double(bitPattern: 0x7FF0_0000_0000_0001),  // signaling NaN, payload 1
    Double(bitPattern: 0xFFF4_0000_DEAD_BEEF),  // negative signaling NaN with payload
    .infinity, -.infinity, 0.0, -0.0,
    .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
    Double(bitPattern: 0x000F_FFFF_FFFF_FFFF),  // largest subnormal
    .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .pi, .ulpOfOne,
]

private let floatEdges: [Float] = [
    .nan,
    Float(nan: 0x55, signaling: false),
    Float(bitPattern: 0x7F80_0001),  // signaling NaN
    Float(bitPattern: 0xFFA0_BEEF),
    .infinity, -.infinity, 0.0, -0.0,
    .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
    Float(bitPattern: 0x007F_FFFF),
    .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
]

/// Decodes its keys in the reverse of the order `Reversed.encode` writes them.
private struct Reversed: Codable, Equatable {
    var first: Int
    var second: String
    var third: [Double]
    var fourth: Point
    var fifth: Bool

    enum CodingKeys: String, CodingKey {
        case first, second, third, fourth, fifth
    }

    init(first: Int, second: String, third: [Double], fourth: Point, fifth: Bool) {
        self.first = first
        self.second = second
        self.third = third
        self.fourth = fourth
        self.fifth = fifth
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        #expect(container.contains(.fourth))
        fifth = try container.decode(Bool.self, forKey: .fifth)
        fourth = try container.decode(Point.self, forKey: .fourth)
        third = try container.decode([Double].self, forKey: .third)
        second = try container.decode(String.self, forKey: .second)
        first = try container.decode(Int.self, forKey: .first)
        #expect(container.allKeys.map(\.stringValue) == ["first", "second", "third", "fourth", "fifth"])
    }
}

/// Written with some keys of `Reversed` missing.
private struct Partial: Codable {
    var first: Int
    var fourth: Point
}

/// A hand-written coder with nested containers read out of order.
private struct Nested: Codable, Equatable {
    var id: Int
    var coordinates: [Double]
    var meta: [String: String]

    enum CodingKeys: String, CodingKey { case id, inner, list }
    enum InnerKeys: String, CodingKey { case meta, id }

    init(id: Int, coordinates: [Double], meta: [String: String]) {
        self.id = id
        self.coordinates = coordinates
        self.meta = meta
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
        try inner.encode(id, forKey: .id)
        try inner.encode(meta, forKey: .meta)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        for value in coordinates {
            try list.encode(value)
        }
        var sub = list.nestedUnkeyedContainer()
        try sub.encodeNil()
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var list = try container.nestedUnkeyedContainer(forKey: .list)
        let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
        var coordinates: [Double] = []
        while let count = list.count, list.currentIndex < count - 1 {
            coordinates.append(try list.decode(Double.self))
        }
        var sub = try list.nestedUnkeyedContainer()
        #expect(try sub.decodeNil())
        #expect(list.isAtEnd)
        self.coordinates = coordinates
        meta = try inner.decode([String: String].self, forKey: .meta)
        id = try inner.decode(Int.self, forKey: .id)
    }
}

private struct Small: Codable, Equatable {
    var id: Int
    var score: Double
    var label: String
}

/// Decodes `[Int]` through a plain unkeyed container (not the typed fast path).
private struct IntsViaUnkeyed: Decodable {
    var values: [Int] = []
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        while !container.isAtEnd {
            values.append(try container.decode(Int.self))
        }
    }
}

/// Recursive: `depth` levels of unkeyed containers.
private struct Deep: Codable {
    var depth: Int

    init(depth: Int) { self.depth = depth }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        if depth > 0 {
            try container.encode(Deep(depth: depth - 1))
        } else {
            try container.encodeNil()
        }
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        if try container.decodeNil() {
            depth = 0
        } else {
            depth = try container.decode(Deep.self).depth + 1
        }
    }
}

private indirect enum Tree: Codable, Equatable {
    case leaf(Int)
    case node(Tree, Tree)
}

// MARK: - Round trips

@Suite("Binary coder round trips")
struct BinaryCoderRoundTripTests {
    @Test func scalarsAtTopLevel() throws {
        try expectRoundTrip(42)
        try expectRoundTrip("hello")
        try expectRoundTrip(true)
        try expectRoundTrip(3.5)
        try expectRoundTrip(Int8(-3))
        try expectRoundTrip([1, 2, 3])
        try expectRoundTrip([UInt8]())
        try expectRoundTrip(Int128.min)
        try expectRoundTrip(UInt128.max)
        try expectRoundTrip([Int128(1) << 100, -5])
    }

    @Test func nestedStructs() throws {
        let leaf = Line(
            name: "leaf", from: Point(x: 0, y: 0), to: Point(x: 1, y: -1),
            tags: [], weights: [0.5], children: [], note: nil
        )
        let root = Line(
            name: "root", from: Point(x: 1e300, y: -2), to: Point(x: 3, y: 4),
            tags: ["a", "", "ccc"], weights: [1, 2, 3], children: [leaf, leaf], note: "n"
        )
        try expectRoundTrip(root)
        try expectRoundTrip([root, leaf])
    }

    @Test func enumsWithPayloads() throws {
        let shapes: [Shape] = [
            .circle(radius: 2.5),
            .rectangle(width: 3, height: -4),
            .polygon([Point(x: 1, y: 2), Point(x: 3, y: 4)]),
            .polygon([]),
            .labelled("x", 7),
            .named(name: "p", nil),
            .named(name: "q", Point(x: 0, y: 0)),
            .empty,
        ]
        try expectRoundTrip(shapes)
        for shape in shapes {
            try expectRoundTrip(shape)
        }
        let tree = Tree.node(.node(.leaf(1), .leaf(2)), .leaf(3))
        try expectRoundTrip(tree)
    }

    @Test func classesWithInheritance() throws {
        let dog = Dog(name: "Rex", breed: "collie")
        let decodedDog = try roundTrip(dog)
        #expect(decodedDog.isEqual(to: dog))

        let cat = Cat(name: "Tom", lives: 9)
        let decodedCat = try roundTrip(cat)
        #expect(decodedCat.isEqual(to: cat))

        let animals = [Animal(name: "worm", legs: 0), Animal(name: "ant", legs: 6)]
        #expect(try roundTrip(animals) == animals)
        #expect(try roundTrip([dog]).first?.isEqual(to: dog) == true)
    }

    @Test func optionals() throws {
        try expectRoundTrip(Optionals(a: nil, b: nil, c: nil, d: [], e: nil, f: nil))
        try expectRoundTrip(Optionals(a: 1, b: .some(nil), c: "", d: [nil, 1, nil], e: Point(x: 1, y: 2), f: .some(.some(nil))))
        try expectRoundTrip(Optionals(a: -1, b: .some(.some(5)), c: "c", d: [nil], e: nil, f: .some(nil)))
        try expectRoundTrip(Optionals(a: 0, b: nil, c: nil, d: [3], e: nil, f: .some(.some(.some(2)))))

        // At the top level and inside arrays, where `Optional` codes itself through single value containers.
        let nested: [Int??] = [nil, .some(nil), .some(.some(3))]
        let decoded = try roundTrip(nested)
        #expect(decoded.count == 3)
        #expect(decoded[0] == nil)
        #expect(decoded[1] == .some(nil))
        #expect(decoded[2] == .some(.some(3)))
        #expect(try roundTrip(Int??.some(nil)) == .some(nil))
        #expect(try roundTrip(Int??.none) == .none)
        #expect(try roundTrip(Int???.some(.some(nil))) == .some(.some(nil)))
        try expectRoundTrip([Int?]([nil, 1, nil]))
        try expectRoundTrip([String?]([nil, "a", nil]))
        try expectRoundTrip([Point?]([nil, Point(x: 1, y: 1)]))
        try expectRoundTrip([[Int]?]([nil, [1, 2], []]))
    }

    @Test func optionalPayloadIsReadableAsPlainOptional() throws {
        // `.some(.some(5))` carries a `some` marker; a reader asking for `Int?` skips it.
        let bytes = try encoded(Int??.some(.some(5)))
        #expect(try BinaryDecoder().decode(Int?.self, from: bytes) == 5)
        #expect(try BinaryDecoder().decode(Int.self, from: bytes) == 5)
    }

    @Test func dictionaries() throws {
        let value = Dictionaries(
            byName: ["a": 1, "": 2, "42": 3, "042": 4, "-7": 5, "e\u{301}": 7],
            byNumber: [0: "zero", -1: "minus one", Int.max: "max", Int.min: "min"],
            byStruct: [GridKey(row: 1, column: 2): 3.5, GridKey(row: -1, column: 0): -0.0],
            nested: ["x": [1: ["a", "b"], 2: []], "y": [:], "é": [3: ["é"]]],
            byBool: [true: "yes", false: "no"]
        )
        let decoded = try roundTrip(value)
        #expect(decoded == value)
        // Keys must come back byte-exact (not just canonically equivalent).
        #expect(decoded.byName.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
            == value.byName.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        try expectRoundTrip([String: Int]())
        try expectRoundTrip([Int: [Int]](uniqueKeysWithValues: (0..<1000).map { ($0 * 7 - 3000, [$0]) }))
    }

    @Test func unicodeStrings() throws {
        let strings = [
            "", "plain", "emoji 👨‍👩‍👧‍👦🏳️‍🌈", "combining e\u{301} a\u{30A}\u{301}", "nul\u{0}inside\u{0}",
            "日本語のテキスト", "\u{10FFFF}\u{FFFD}", String(repeating: "long ", count: 1000),
        ]
        let decoded = try roundTrip(strings)
        #expect(decoded.map { Array($0.utf8) } == strings.map { Array($0.utf8) })
        for string in strings {
            #expect(Array(try roundTrip(string).utf8) == Array(string.utf8))
        }
    }

    @Test func emptyValues() throws {
        try expectRoundTrip(Empty())
        try expectRoundTrip([Empty(), Empty()])
        try expectRoundTrip([Int]())
        try expectRoundTrip([String]())
        try expectRoundTrip([[Int]]())
        try expectRoundTrip([[Int]]([[], []]))
        try expectRoundTrip("")
        try expectRoundTrip([Point]())
    }

    @Test func integerEdges() throws {
        let value = Integers(
            i: edges(Int.self), i8: edges(Int8.self), i16: edges(Int16.self), i32: edges(Int32.self),
            i64: edges(Int64.self), u: edges(UInt.self), u8: edges(UInt8.self), u16: edges(UInt16.self),
            u32: edges(UInt32.self), u64: edges(UInt64.self),
            si: .min, si8: .min, si16: -1, si32: .max, si64: .min, su: .max, su8: .max, su16: 0, su32: .max, su64: .max
        )
        try expectRoundTrip(value)
        for v in edges(Int.self) { try expectRoundTrip(v) }
        for v in edges(Int8.self) { try expectRoundTrip(v) }
        for v in edges(Int16.self) { try expectRoundTrip(v) }
        for v in edges(Int32.self) { try expectRoundTrip(v) }
        for v in edges(Int64.self) { try expectRoundTrip(v) }
        for v in edges(UInt.self) { try expectRoundTrip(v) }
        for v in edges(UInt8.self) { try expectRoundTrip(v) }
        for v in edges(UInt16.self) { try expectRoundTrip(v) }
        for v in edges(UInt32.self) { try expectRoundTrip(v) }
        for v in edges(UInt64.self) { try expectRoundTrip(v) }
        // Through the tagged (not typed-block) path: arrays of optionals.
        try expectRoundTrip(edges(Int64.self).map { Optional($0) })
        try expectRoundTrip(edges(UInt16.self).map { Optional($0) })
    }

    @Test func floatingPointBitExact() throws {
        let value = Floats(
            doubles: doubleEdges, floats: floatEdges, double: -0.0, float: Float(bitPattern: 0x7F80_0001),
            boxedDoubles: doubleEdges.map { Optional($0) } + [nil]
        )
        let decoded = try roundTrip(value)
        #expect(decoded.doubles.map(\.bitPattern) == doubleEdges.map(\.bitPattern))
        #expect(decoded.floats.map(\.bitPattern) == floatEdges.map(\.bitPattern))
        #expect(decoded.double.bitPattern == (-0.0 as Double).bitPattern)
        #expect(decoded.float.bitPattern == 0x7F80_0001)
        #expect(decoded.boxedDoubles.map { $0?.bitPattern } == value.boxedDoubles.map { $0?.bitPattern })
        for d in doubleEdges {
            #expect(try roundTrip(d).bitPattern == d.bitPattern)
        }
        for f in floatEdges {
            #expect(try roundTrip(f).bitPattern == f.bitPattern)
        }
    }

    @Test func typedArraysOfEveryKind() throws {
        try expectRoundTrip([Bool]([true, false, true]))
        try expectRoundTrip([Int8]([-128, 0, 127]))
        try expectRoundTrip([Int16]([-1, 2]))
        try expectRoundTrip([Int32]([.min, .max]))
        try expectRoundTrip([Int64]([.min, .max]))
        try expectRoundTrip([UInt]([0, .max]))
        try expectRoundTrip([UInt8](0...255))
        try expectRoundTrip([UInt16]([0, .max]))
        try expectRoundTrip([UInt32]([0, .max]))
        try expectRoundTrip([UInt64]([0, .max]))
        try expectRoundTrip([Float]([1.5, -2]))
        try expectRoundTrip([Double]([1.5, -2]))
        try expectRoundTrip([[Int]]([[1, 2], [], [3]]))
        try expectRoundTrip(ContiguousArray<Int>([1, 2, 3]))
    }

    @Test func typedBlocksAreCompactAndInteroperable() throws {
        let ints = Array(0..<1000)
        let bytes = try encoded(ints)
        // u32 body length, tag, element tag, 2-byte varint count, 8000 bytes, empty key table.
        #expect(bytes.count == 4 + 2 + 2 + 8000 + 1)
        // The typed block reads through an ordinary unkeyed container, and as a Set.
        #expect(try BinaryDecoder().decode(IntsViaUnkeyed.self, from: bytes).values == ints)
        #expect(try BinaryDecoder().decode(Set<Int>.self, from: bytes) == Set(ints))
        // And a tagged array (from a Set) reads back as [Int].
        let fromSet = try encoded(Set([5, 6, 7]))
        #expect(try BinaryDecoder().decode([Int].self, from: fromSet).sorted() == [5, 6, 7])
        // Wrong element kind.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([Int32].self, from: bytes) }
    }

    @Test func keysDecodedInAnotherOrder() throws {
        let value = Reversed(first: 1, second: "two", third: [3, 3.5], fourth: Point(x: 4, y: 4), fifth: true)
        try expectRoundTrip(value)
        try expectRoundTrip([value, value, value])
    }

    @Test func missingKeysAndNestedContainers() throws {
        let bytes = try encoded(Partial(first: 1, fourth: Point(x: 0, y: 0)))
        #expect {
            try BinaryDecoder().decode(Reversed.self, from: bytes)
        } throws: { error in
            guard case let DecodingError.keyNotFound(key, _)? = error as? DecodingError else { return false }
            return key.stringValue == "fifth"
        }
        try expectRoundTrip(Nested(id: 9, coordinates: [1, 2, 3], meta: ["k": "v"]))
        try expectRoundTrip(Nested(id: 0, coordinates: [], meta: [:]))
    }

    @Test func manyFieldsOutOfOrderUseTheIndex() throws {
        // A big keyed container read in a shuffled order: exercises the index built after a few misses.
        var dictionary: [String: Int] = [:]
        for i in 0..<500 { dictionary["key\(i)"] = i }
        let bytes = try encoded(dictionary)
        #expect(try BinaryDecoder().decode([String: Int].self, from: bytes) == dictionary)
        struct Picky: Decodable {
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            var sum = 0
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                for i in stride(from: 499, through: 0, by: -3) {
                    sum += try container.decode(Int.self, forKey: Key(stringValue: "key\(i)"))
                }
                #expect(!container.contains(Key(stringValue: "nope")))
                #expect(try container.decodeIfPresent(Int.self, forKey: Key(stringValue: "nope")) == nil)
            }
        }
        let expected = stride(from: 499, through: 0, by: -3).reduce(0, +)
        #expect(try BinaryDecoder().decode(Picky.self, from: bytes).sum == expected)
    }

    @Test func keysAreInterned() throws {
        let records = (0..<1000).map { Small(id: $0, score: Double($0), label: "r") }
        let bytes = try encoded(records)
        // Per record: keyed header 5, three 1-byte key refs, Int 9, Double 9, String 3 = 29 bytes.
        #expect(bytes.count < 1000 * 30 + 100)
        #expect(try BinaryDecoder().decode([Small].self, from: bytes) == records)
    }

    @Test func appendsIntoAWriterAndReadsFromAReader() throws {
        var writer = ByteWriter()
        writer.write(UInt8(0xAB))
        try BinaryEncoder().encode(Point(x: 1, y: 2), into: &writer)
        try BinaryEncoder().encode("second", into: &writer)
        writer.write(UInt8(0xCD))
        var reader = ByteReader(writer.finish())
        #expect(try reader.readByte() == 0xAB)
        #expect(try BinaryDecoder().decode(Point.self, from: &reader) == Point(x: 1, y: 2))
        #expect(try BinaryDecoder().decode(String.self, from: &reader) == "second")
        #expect(try reader.readByte() == 0xCD)
        #expect(reader.isAtEnd)

        // A failed encode leaves the writer as it was.
        var failing = ByteWriter()
        failing.write(UInt8(1))
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(Deep(depth: 600), into: &failing) }
        #expect(failing.finish() == [1])
    }

    @Test func deepButAllowedNesting() throws {
        let deep = Deep(depth: 500)
        #expect(try roundTrip(deep).depth == 500)
        var tree = Tree.leaf(0)
        for i in 0..<200 { tree = .node(tree, .leaf(i)) }
        try expectRoundTrip(tree)
    }

    @Test func depthLimitIsTheSameBothWays() throws {
        let limit = BinaryLimits.maxDepth
        // `Deep(depth: n)` nests n + 1 values; the outermost is at depth 0.
        #expect(try roundTrip(Deep(depth: limit)).depth == limit)
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(Deep(depth: limit + 1)) }
        // The same nesting written by hand one level deeper than the encoder allows.
        let levels = limit + 2
        var body: [UInt8] = []
        for level in stride(from: levels, to: 0, by: -1) {
            body.append(BinaryTag.array)
            body.appendUInt32(UInt32(4 + 1 + 9 * (level - 1)))
            body.appendUInt32(1)
        }
        body.append(BinaryTag.null)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Deep.self, from: message(body: body)) }
        #expect(try BinaryDecoder().decode(Deep.self, from: message(body: Array(body.dropFirst(9)))).depth == limit)
    }

    @Test func codingPathsInErrors() throws {
        struct Outer: Codable { var items: [Inner] }
        struct Inner: Codable { var value: Int }
        struct OuterText: Codable { var items: [InnerText] }
        struct InnerText: Codable { var value: String }
        let bytes = try encoded(OuterText(items: [InnerText(value: "a"), InnerText(value: "b")]))
        #expect {
            try BinaryDecoder().decode(Outer.self, from: bytes)
        } throws: { error in
            guard case let DecodingError.typeMismatch(_, context)? = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue) == ["items", "Index 0", "value"]
        }
        struct Missing: Codable { var items: [Missing2] }
        struct Missing2: Codable { var other: Int }
        #expect {
            try BinaryDecoder().decode(Missing.self, from: try encoded(Outer(items: [Inner(value: 1)])))
        } throws: { error in
            guard case let DecodingError.keyNotFound(key, context)? = error as? DecodingError else { return false }
            return key.stringValue == "other" && context.codingPath.map(\.stringValue) == ["items", "Index 0"]
        }
    }

    @Test func superCodersInUnkeyedContainers() throws {
        struct Pair: Codable, Equatable {
            var point: Point
            var label: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode(label)
                try point.encode(to: container.superEncoder())
                var nested = container.nestedContainer(keyedBy: BinaryPathKey.self)
                try nested.encode(true, forKey: BinaryPathKey(stringValue: "flag", intValue: nil))
                #expect(container.count == 3)
            }
            init(point: Point, label: String) {
                self.point = point
                self.label = label
            }
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                #expect(container.count == 3)
                label = try container.decode(String.self)
                point = try Point(from: container.superDecoder())
                let nested = try container.nestedContainer(keyedBy: BinaryPathKey.self)
                #expect(try nested.decode(Bool.self, forKey: BinaryPathKey(stringValue: "flag", intValue: nil)))
                #expect(container.isAtEnd)
                #expect(throws: DecodingError.self) { try container.decode(Int.self) }
            }
        }
        try expectRoundTrip(Pair(point: Point(x: 1, y: 2), label: "p"))
        try expectRoundTrip([Pair(point: Point(x: 1, y: 2), label: "p"), Pair(point: Point(x: 3, y: 4), label: "")])
    }

    @Test func interleavedDecodingContainers() throws {
        struct Two: Codable, Equatable {
            var first: Point
            var second: Point
            var list: [Point]
            enum CodingKeys: String, CodingKey { case first, second, list }
            init(first: Point, second: Point, list: [Point]) {
                self.first = first
                self.second = second
                self.list = list
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                enum XY: String, CodingKey { case x, y }
                let a = try container.nestedContainer(keyedBy: XY.self, forKey: .first)
                let b = try container.nestedContainer(keyedBy: XY.self, forKey: .second)
                // `a` lost its slot to `b`, and a whole array of structs is decoded in between.
                list = try container.decode([Point].self, forKey: .list)
                let bx = try b.decode(Double.self, forKey: .x)
                let ay = try a.decode(Double.self, forKey: .y)
                let ax = try a.decode(Double.self, forKey: .x)
                let by = try b.decode(Double.self, forKey: .y)
                first = Point(x: ax, y: ay)
                second = Point(x: bx, y: by)
                #expect(a.allKeys.count == 2)
            }
        }
        try expectRoundTrip(Two(first: Point(x: 1, y: 2), second: Point(x: 3, y: 4), list: [Point(x: 5, y: 6)]))
    }

    @Test func integerKeysThatAreNotCanonical() throws {
        // CodingKeys with Int raw values: written as strings (their string values are the names).
        struct Numbered: Codable, Equatable {
            var a: Int
            var b: String
            enum CodingKeys: Int, CodingKey { case a = 1, b = 2 }
        }
        try expectRoundTrip(Numbered(a: 5, b: "x"))
        try expectRoundTrip([Numbered(a: 5, b: "x"), Numbered(a: 6, b: "y")])
    }

    @Test func superDecoderOnAMissingKeyThrows() throws {
        let bytes = try encoded(Point(x: 1, y: 1))
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Dog.self, from: bytes) }
    }
}

// MARK: - Encoder misuse

private struct TwoSingleValues: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(1)
        try container.encode(2)
    }
}

private struct InterleavedNested: Encodable {
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var nested = container.nestedUnkeyedContainer(forKey: .a)
        try container.encode(1, forKey: .b)
        try nested.encode(2)  // after a sibling was written: refused rather than corrupting the output
    }
}

private struct KindClash: Encodable {
    enum Keys: String, CodingKey { case a }
    func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(1, forKey: .a)
        var unkeyed = encoder.unkeyedContainer()
        try unkeyed.encode(2)
    }
}

private struct EncodesNothing: Codable, Equatable {
    init() {}
    func encode(to encoder: any Encoder) throws {}
    init(from decoder: any Decoder) throws {}
}

@Suite("Binary encoder misuse")
struct BinaryEncoderMisuseTests {
    @Test func misuseThrows() {
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(TwoSingleValues()) }
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(InterleavedNested()) }
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(KindClash()) }
    }

    @Test func valueThatEncodesNothing() throws {
        try expectRoundTrip(EncodesNothing())
        try expectRoundTrip([EncodesNothing(), EncodesNothing()])
    }

    @Test func excessiveNestingOnEncodeThrows() {
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(Deep(depth: 100_000)) }
    }
}

// MARK: - Malformed input

@Suite("Binary decoder on malformed input")
struct BinaryDecoderMalformedTests {
    @Test func truncatedAtEveryPosition() throws {
        let line = Line(
            name: "root", from: Point(x: 1, y: 2), to: Point(x: 3, y: 4),
            tags: ["a", "bc"], weights: [1, 2], children: [], note: "n"
        )
        let fixtures: [[UInt8]] = [
            try encoded(line),
            try encoded([Shape.circle(radius: 1), .labelled("x", 2), .named(name: "n", nil)]),
            try encoded(["a": [1: "x"]]),
            try encoded([Int??.some(nil), 3]),
        ]
        for bytes in fixtures {
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                #expect(throws: (any Error).self) { try BinaryDecoder().decode(Line.self, from: prefix) }
                #expect(throws: (any Error).self) { try BinaryDecoder().decode([Shape].self, from: prefix) }
                #expect(throws: (any Error).self) { try BinaryDecoder().decode([String: [Int: String]].self, from: prefix) }
                #expect(throws: (any Error).self) { try BinaryDecoder().decode([Int??].self, from: prefix) }
            }
        }
    }

    @Test func wrongTagThrowsTypeMismatch() throws {
        let bytes = try encoded("text")
        #expect {
            try BinaryDecoder().decode(Int.self, from: bytes)
        } throws: { error in
            guard case .typeMismatch? = error as? DecodingError else { return false }
            return true
        }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int32.self, from: try encoded(Int64(1))) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Point.self, from: try encoded([1.0, 2.0])) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([Double].self, from: try encoded(Point(x: 1, y: 2))) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int.self, from: try encoded(Int?.none)) }
        // An unknown tag byte is a wire error.
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int.self, from: message(body: [0x7F])) }
    }

    @Test func hugeCountsThrowWithoutAllocating() {
        // A typed block claiming 2^60 Int64 elements.
        var typed: [UInt8] = [BinaryTag.typedArray, BinaryTag.int64]
        typed.appendVarint(1 << 60)
        typed += [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(throws: WireError.self) { try BinaryDecoder().decode([Int].self, from: message(body: typed)) }
        #expect(throws: WireError.self) { try BinaryDecoder().decode(IntsViaUnkeyed.self, from: message(body: typed)) }

        // A string claiming 2^60 bytes.
        var string: [UInt8] = [BinaryTag.string]
        string.appendVarint(1 << 60)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(String.self, from: message(body: string)) }

        // A tagged array claiming 2^32 - 1 elements in a 9-byte body.
        var array: [UInt8] = [BinaryTag.array]
        array.appendUInt32(9)
        array.appendUInt32(UInt32.max)
        array += [BinaryTag.int8, 1]
        array += [0, 0, 0]
        #expect(throws: WireError.self) { try BinaryDecoder().decode([Int8].self, from: message(body: array)) }

        // A key table claiming 2^60 keys.
        var bytes: [UInt8] = []
        bytes.appendUInt32(1)
        bytes.append(BinaryTag.null)
        bytes.appendVarint(1 << 60)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int?.self, from: bytes) }

        // A body length past the end.
        var body: [UInt8] = []
        body.appendUInt32(UInt32.max)
        body.append(BinaryTag.null)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int?.self, from: body) }
    }

    @Test func trailingBytesThrow() throws {
        var bytes = try encoded(Point(x: 1, y: 2))
        bytes.append(0)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Point.self, from: bytes) }
        // Two values in one body.
        #expect(throws: WireError.self) {
            try BinaryDecoder().decode(Int?.self, from: message(body: [BinaryTag.null, BinaryTag.null]))
        }
    }

    @Test func invalidUTF8Throws() {
        for invalid: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0x61, 0x80]] {
            var body: [UInt8] = [BinaryTag.string]
            body.appendVarint(UInt64(invalid.count))
            body += invalid
            #expect(throws: WireError.invalidUTF8) { try BinaryDecoder().decode(String.self, from: message(body: body)) }
        }
        // In the key table.
        var bytes: [UInt8] = []
        bytes.appendUInt32(5)
        bytes += [BinaryTag.keyed, 0, 0, 0, 0]
        bytes += [1, 1, 0xFF]
        #expect(throws: WireError.invalidUTF8) { try BinaryDecoder().decode(Empty.self, from: bytes) }
    }

    @Test func invalidBoolThrows() {
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Bool.self, from: message(body: [BinaryTag.bool, 2])) }
        #expect(throws: WireError.self) {
            try BinaryDecoder().decode([Bool].self, from: message(body: [BinaryTag.typedArray, BinaryTag.bool, 2, 1, 7]))
        }
    }

    @Test func excessiveNestingThrows() throws {
        // 100,000 properly framed nested arrays around a nil.
        let levels = 100_000
        var body: [UInt8] = []
        body.reserveCapacity(levels * 9 + 1)
        for level in stride(from: levels, to: 0, by: -1) {
            body.append(BinaryTag.array)
            body.appendUInt32(UInt32(4 + 1 + 9 * (level - 1)))
            body.appendUInt32(1)
        }
        body.append(BinaryTag.null)
        let bytes = message(body: body)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Deep.self, from: bytes) }
        #expect(throws: (any Error).self) { try BinaryDecoder().decode([[[[Int]]]].self, from: bytes) }

        // 100,000 bare array tags.
        let tags = message(body: [UInt8](repeating: BinaryTag.array, count: levels))
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Deep.self, from: tags) }

        // 100,000 `some` markers: skipped iteratively.
        var somes = [UInt8](repeating: BinaryTag.some, count: levels)
        somes += [BinaryTag.int64, 1, 0, 0, 0, 0, 0, 0, 0]
        #expect(try BinaryDecoder().decode(Int.self, from: message(body: somes)) == 1)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int??????.self, from: message(body: somes + [0])) }
    }

    @Test func nestedOptionalMarkersDeeperThanTheLimitThrow() {
        let somes = [UInt8](repeating: BinaryTag.some, count: 2000) + [BinaryTag.null]
        // Decoding through 2000 optional layers is not expressible statically; a recursive optional-like
        // type shows that the depth limit applies.
        struct OptionalChain: Decodable {
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if !container.decodeNil() {
                    _ = try container.decode(Optional<OptionalChain>.self)
                }
            }
        }
        #expect(throws: WireError.self) { try BinaryDecoder().decode(OptionalChain.self, from: message(body: somes)) }
    }

    @Test func badKeyReferencesThrow() {
        // Keyed container with a key id outside the (empty) key table.
        var bytes: [UInt8] = []
        bytes.appendUInt32(7)
        bytes += [BinaryTag.keyed, 2, 0, 0, 0, 4, BinaryTag.null]
        bytes.append(0)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Point.self, from: bytes) }
        // An odd key reference other than 1.
        var odd: [UInt8] = []
        odd.appendUInt32(7)
        odd += [BinaryTag.keyed, 2, 0, 0, 0, 3, BinaryTag.null]
        odd.append(0)
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Point.self, from: odd) }
    }

    @Test func emptyInputThrows() {
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int.self, from: []) }
        #expect(throws: WireError.self) { try BinaryDecoder().decode(Int.self, from: [0, 0, 0, 0, 0]) }
    }
}
