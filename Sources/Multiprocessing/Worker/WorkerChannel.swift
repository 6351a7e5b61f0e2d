import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The worker's end of its channel, moved away from the descriptor it was born on, and a cheap
/// way to tell that a job closed or replaced it.
///
/// Jobs open, close and `dup2` low descriptors freely (a double `close`, a `dup2` onto "its"
/// descriptor 3, a daemon-style close of every descriptor): the channel lives high up, where
/// only a job that closes every descriptor reaches it, and that is noticed by comparing the
/// socket's identity before every write and at the item checkpoints (see ``Blame``). The
/// descriptors it was born on hold /dev/null.
struct WorkerChannel: Sendable {
    let fd: Int32
    private let device: UInt64
    private let inode: UInt64

    /// Moves the channel from `inherited` to a high close-on-exec descriptor, and leaves /dev/null
    /// at `inherited` (see ``holdWithDevNull(_:)``).
    static func relocate(from inherited: Int32) -> WorkerChannel? {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let floor = Int32(clamping: max(16, min(Int(limit.rlim_cur) - 16, 1000)))
        var fd = fcntl(inherited, F_DUPFD_CLOEXEC, floor)
        if fd < 0 {
            fd = fcntl(inherited, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else { return nil }
        }
        holdWithDevNull(inherited)
        return WorkerChannel(fd: fd)
    }

    /// Puts /dev/null (close-on-exec) at `fd`. The descriptors the channel and the status page
    /// were born on are the ones a job is likeliest to close or write by mistake; held so, they
    /// are not given to the runtime's own descriptors (Dispatch's eventfd and epoll), which a job
    /// closing "its" descriptor 3 would break.
    static func holdWithDevNull(_ fd: Int32) {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else {
            close(fd)
            return
        }
        if null != fd {
            dup2(null, fd)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            close(null)
        }
    }

    init?(fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        self.fd = fd
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Whether the descriptor is still the socket the parent gave (one `fstat`).
    var isIntact: Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
