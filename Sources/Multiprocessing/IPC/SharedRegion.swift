import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What a region holds; a handle decoded as the wrong type is refused.
enum RegionKind: UInt32, Sendable {
    case sharedMemory = 1, lock, recursiveLock, semaphore, event, condition, barrier, queue, pipe

    var name: String {
        switch self {
        case .sharedMemory: return "shared memory"
        case .lock: return "ProcessLock"
        case .recursiveLock: return "ProcessRecursiveLock"
        case .semaphore: return "ProcessSemaphore"
        case .event: return "ProcessEvent"
        case .condition: return "ProcessCondition"
        case .barrier: return "ProcessBarrier"
        case .queue: return "ProcessQueue"
        case .pipe: return "pipe"
        }
    }
}

/// One inter-process object's memory: an anonymous memfd mapped shared, in this process.
///
/// Why memfd: it has no name, so nothing is ever left in /dev/shm, and the kernel frees it
/// when the last descriptor and mapping are gone, in whichever process, crashed ones included.
/// (Python's `shared_memory` names its segments and needs its `resource_tracker` to unlink
/// them, which fails when the tracker dies too.)
///
/// Another process attaches by opening `/proc/<pid>/fd/<fd>` of a process that holds it (see
/// ``RegionHandle``), so a region travels as a few numbers inside any `Codable` value. Each
/// process keeps one mapping per region (``RegionRegistry``): decoding the same handle twice
/// gives the same object.
///
/// The first 64 bytes are a header that lets an attacher check it reached the right object;
/// the object's own data (the payload) follows, 64-byte aligned.
final class SharedRegion: @unchecked Sendable {
    // @unchecked: every stored property is immutable; the mapped memory is shared with other
    // processes anyway, and each object built on a region accesses it through atomics or
    // documents who may touch what.

    static let headerSize = 64
    private static let magic: UInt64 = 0x3143_5049_504D_5753  // "SWMPIPC1", little-endian

    let kind: RegionKind
    let fd: Int32
    let base: UnsafeMutableRawPointer
    let mappedSize: Int
    let nonce: UInt64
    let inode: UInt64
    let creatorPID: Int32
    let creatorFD: Int32

    var payload: UnsafeMutableRawPointer { base + Self.headerSize }
    var payloadSize: Int { mappedSize - Self.headerSize }

    private init(kind: RegionKind, fd: Int32, base: UnsafeMutableRawPointer, mappedSize: Int,
                 nonce: UInt64, inode: UInt64, creatorPID: Int32, creatorFD: Int32) {
        self.kind = kind
        self.fd = fd
        self.base = base
        self.mappedSize = mappedSize
        self.nonce = nonce
        self.inode = inode
        self.creatorPID = creatorPID
        self.creatorFD = creatorFD
    }

    deinit {
        cmp_ipc_unmap(base, UInt64(mappedSize))
        close(fd)
        RegionRegistry.forget(nonce: nonce)
    }

    /// A new zero-filled region with `payloadSize` bytes for the object.
    static func create(kind: RegionKind, payloadSize: Int) throws -> SharedRegion {
        guard payloadSize >= 0, payloadSize <= Int.max - 2 * 65536 else {
            throw IPCError.invalidArgument("a shared region of \(payloadSize) bytes")
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let total = (headerSize + payloadSize + page - 1) / page * page
        // The name shows in /proc/<pid>/fd and /proc/<pid>/maps ("/memfd:mp-ProcessQueue").
        let fd = cmp_ipc_memfd("mp-\(kind.name.replacingSpaces)", UInt64(total))
        guard fd >= 0 else { throw IPCError.systemCallFailed(call: "memfd_create", errno: -fd) }
        guard let base = cmp_ipc_map(fd, UInt64(total)) else {
            let error = errno
            close(fd)
            throw IPCError.systemCallFailed(call: "mmap of \(total) bytes", errno: error)
        }
        var inode: UInt64 = 0, size: UInt64 = 0
        _ = cmp_ipc_fd_identity(fd, &inode, &size)
        let nonce = cmp_ipc_random64()
        // The header is written once, before any other process can know the region exists.
        base.storeBytes(of: magic, toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: nonce, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: kind.rawValue, toByteOffset: 16, as: UInt32.self)
        base.storeBytes(of: UInt64(total), toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: ProcessIdentity.pid, toByteOffset: 32, as: Int32.self)
        base.storeBytes(of: fd, toByteOffset: 36, as: Int32.self)
        let region = SharedRegion(kind: kind, fd: fd, base: base, mappedSize: total, nonce: nonce,
                                  inode: inode, creatorPID: ProcessIdentity.pid, creatorFD: fd)
        RegionRegistry.register(region)
        return region
    }

    /// The handle other processes attach with: this process holds the region now, and its
    /// creator held it at creation.
    var handle: RegionHandle {
        RegionHandle(kind: kind.rawValue, nonce: nonce, inode: inode, size: UInt64(mappedSize),
                     creatorPID: creatorPID, creatorFD: creatorFD,
                     senderPID: ProcessIdentity.pid, senderFD: fd)
    }

    /// The region `handle` names, mapped in this process: the mapping this process already has,
    /// or a new one opened through a process that holds it.
    static func attach(_ handle: RegionHandle, as kind: RegionKind) throws -> SharedRegion {
        guard handle.kind == kind.rawValue else {
            let found = RegionKind(rawValue: handle.kind)?.name ?? "kind \(handle.kind)"
            throw IPCError.cannotAttach("the handle names a \(found), not a \(kind.name)")
        }
        return try RegionRegistry.findOrAttach(nonce: handle.nonce) {
            var failures: [String] = []
            var holders = [(handle.senderPID, handle.senderFD)]
            if handle.creatorPID != handle.senderPID || handle.creatorFD != handle.senderFD {
                holders.append((handle.creatorPID, handle.creatorFD))
            }
            for (pid, fd) in holders {
                switch open(handle, kind: kind, from: pid, fd: fd) {
                case let .success(region): return region
                case let .failure(reason): failures.append("process \(pid) (descriptor \(fd)): \(reason)")
                }
            }
            throw IPCError.cannotAttach(
                "no process holds this \(kind.name) any more (" + failures.joined(separator: "; ")
                    + "). A handle can be decoded only while the process that encoded it, or the "
                    + "one that created the object, is alive and still holds the object.")
        }
    }

    private static func open(_ handle: RegionHandle, kind: RegionKind, from pid: Int32,
                             fd holderFD: Int32) -> Result<SharedRegion, Reason> {
        let fd = pid == ProcessIdentity.pid
            ? fcntl(holderFD, F_DUPFD_CLOEXEC, 0)
            : cmp_ipc_open_process_fd(pid, holderFD)
        guard fd >= 0 else {
            let error = pid == ProcessIdentity.pid ? errno : -fd
            return .failure(Reason(error == ENOENT || error == EBADF ? "gone (exited, or released the object)"
                                                                     : "cannot open it (errno \(error))"))
        }
        var inode: UInt64 = 0, size: UInt64 = 0
        guard cmp_ipc_fd_identity(fd, &inode, &size) == 0, inode == handle.inode, size == handle.size else {
            close(fd)
            return .failure(Reason("released the object (its descriptor now names another file)"))
        }
        guard let base = cmp_ipc_map(fd, handle.size) else {
            let error = errno
            close(fd)
            return .failure(Reason("mmap failed (errno \(error))"))
        }
        guard base.load(fromByteOffset: 0, as: UInt64.self) == magic,
              base.load(fromByteOffset: 8, as: UInt64.self) == handle.nonce,
              base.load(fromByteOffset: 16, as: UInt32.self) == kind.rawValue else {
            cmp_ipc_unmap(base, handle.size)
            close(fd)
            return .failure(Reason("released the object (its descriptor now names another region)"))
        }
        return .success(SharedRegion(
            kind: kind, fd: fd, base: base, mappedSize: Int(handle.size), nonce: handle.nonce,
            inode: inode, creatorPID: base.load(fromByteOffset: 32, as: Int32.self),
            creatorFD: base.load(fromByteOffset: 36, as: Int32.self)))
    }

    fileprivate struct Reason: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }
}

private extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "-" : $0 }) }
}

extension SharedRegion.Reason: CustomStringConvertible {
    var description: String { text }
}
