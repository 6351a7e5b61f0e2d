import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: shared memory")
struct IPCSharedMemoryTests {
    @Test("100 million Float32 filled by pool workers, a slice each, read by the parent in place")
    func hundredMillionFloats() async throws {
        let shm = sharedMemoryDirectory()
        let count = 100_000_000
        let slices = 4
        let array = try SharedArray<Float>(count: count)
        let base = array.withUnsafeBufferPointer { $0.baseAddress! }
        let filled = try await withProcessPool(workers: 2) { pool in
            try await pool.map(FillSlice(array: array, slices: slices), Array(0..<slices), chunkSize: 1)
        }
        #expect(filled.reduce(0, +) == count)

        // The parent reads the very memory the workers wrote (same address, no copy), and
        // compares it a few MB at a time with what each slice must hold.
        let per = count / slices
        let chunk = 1 << 20
        var mismatches = 0
        array.withUnsafeBufferPointer { buffer in
            #expect(buffer.baseAddress == base)
            for slice in 0..<slices {
                let expected = [Float](repeating: Float(slice + 1), count: chunk)
                let end = slice == slices - 1 ? count : (slice + 1) * per
                var start = slice * per
                while start < end {
                    let length = min(chunk, end - start)
                    if memcmp(buffer.baseAddress! + start, expected, length * 4) != 0 { mismatches += 1 }
                    start += length
                }
            }
        }
        #expect(mismatches == 0)
        #expect(array[0] == 1 && array[count - 1] == Float(slices))
        #expect(sharedMemoryDirectory() == shm)
    }

    @Test("a SharedMemory block is the same memory in a worker, both ways")
    func sharedMemoryBothWays() async throws {
        let memory = try SharedMemory(byteCount: 4096)
        #expect(memory.byteCount == 4096)
        #expect(Int(bitPattern: memory.baseAddress) % 64 == 0)
        memory.withUnsafeMutableBytes { $0.storeBytes(of: 1234, as: Int.self) }
        let seen = try await WorkerProcess.run(TouchSharedMemory(memory: memory))
        #expect(seen == 1234)
        let written = memory.withUnsafeBytes { $0.load(as: Int.self) }
        #expect(written != 1234 && written > 0)
    }

    @Test("SharedArray views, bounds and element-size checks")
    func arrayViews() throws {
        let memory = try SharedMemory(byteCount: 64)
        let words = try SharedArray<UInt32>(memory: memory, byteOffset: 0, count: 16)
        let tail = try SharedArray<UInt32>(memory: memory, byteOffset: 32, count: 8)
        tail[0] = 0xABCD
        #expect(words[8] == 0xABCD)
        #expect(throws: IPCError.self) { try SharedArray<UInt64>(memory: memory, byteOffset: 4, count: 1) }
        #expect(throws: IPCError.self) { try SharedArray<UInt32>(memory: memory, byteOffset: 32, count: 9) }
        let encoded = try BinaryEncoder().encode(tail)
        #expect(throws: IPCError.self) { try BinaryDecoder().decode(SharedArray<UInt64>.self, from: encoded) }
        let decoded = try BinaryDecoder().decode(SharedArray<UInt32>.self, from: encoded)
        #expect(decoded.count == 8 && decoded[0] == 0xABCD)
        var sorted = try SharedArray<Int>([3, 1, 2])
        sorted.sort()
        #expect(Array(sorted) == [1, 2, 3])
    }
}
