extension KeyedDecodingContainer {
    /// Decodes a region handle and attaches to the region it names (see ``SharedRegion/attach(_:as:)``).
    func decodeRegion(forKey key: Key, as kind: RegionKind) throws -> SharedRegion {
        try SharedRegion.attach(decode(RegionHandle.self, forKey: key), as: kind)
    }
}

extension KeyedEncodingContainer {
    /// Encodes the handle other processes attach to `region` with.
    mutating func encodeRegion(_ region: SharedRegion, forKey key: Key) throws {
        try encode(region.handle, forKey: key)
    }
}
