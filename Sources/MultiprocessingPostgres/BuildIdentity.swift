#if Postgres
#if canImport(Glibc)
import Glibc
#endif

/// Which build of the executable this process is: a 128-bit hash of the executable's bytes.
///
/// Job types travel by mangled name and values by the binary coder, so a task must only run in
/// a worker host built from the same executable as its submitter: another build may have a type
/// of the same name with other fields, and its bytes would decode into the wrong value. Hosts
/// claim only tasks of jobs stamped with their own identity, and leave the others for hosts of
/// that build (a rolling deploy). (The executable's bytes are
/// hashed rather than an ELF build-id read, because not every link step writes one.)
enum BuildIdentity {
    static let current: String = hashExecutable() ?? "unknown"

    private static func hashExecutable() -> String? {
        let fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var state = (UInt64(0x9E37_79B9_7F4A_7C15), UInt64(0xC2B2_AE3D_27D4_EB4F))
        var length: UInt64 = 0
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size + 8, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, size)
            if count < 0 { return nil }
            if count == 0 { break }
            // Pad the last partial word with zeros; the length goes into the hash at the end.
            (buffer + count).initializeMemory(as: UInt8.self, repeating: 0, count: 8)
            length &+= UInt64(count)
            for offset in stride(from: 0, to: count, by: 8) {
                let word = buffer.load(fromByteOffset: offset, as: UInt64.self)
                state.0 = (state.0 ^ word) &* 0x100_0000_01B3 &+ (state.0 >> 29)
                state.1 = ((state.1 &+ word) &* 0xFF51_AFD7_ED55_8CCD) ^ (state.1 >> 31)
            }
        }
        state.0 ^= length &* 0x9E37_79B9_7F4A_7C15
        state.1 ^= length
        return hex(mix(state.0)) + hex(mix(state.1))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x = (x ^ (x >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return x ^ (x >> 33)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
#endif  // Postgres
