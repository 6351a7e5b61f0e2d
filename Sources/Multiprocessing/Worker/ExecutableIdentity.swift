#if canImport(Glibc)
import Glibc
#endif

/// Names this build of the executable, so that a parent never talks to a worker of another
/// build (the distributed pool's `BuildIdentity` names a build across machines instead): the identity of the file behind /proc/self/exe (device, inode, size, modification).
enum ExecutableIdentity {
    static let current: UInt64 = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for word in [UInt64(info.st_dev), UInt64(info.st_ino), UInt64(bitPattern: Int64(info.st_size)),
                     UInt64(bitPattern: Int64(info.st_mtim.tv_sec)), UInt64(bitPattern: Int64(info.st_mtim.tv_nsec))] {
            hash = (hash ^ word) &* 0x0000_0100_0000_01B3
        }
        return hash
    }()
}
