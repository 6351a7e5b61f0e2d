/// How a shared object travels: the numbers another process needs to open the same memfd.
///
/// A process attaches by opening `/proc/<pid>/fd/<fd>` of the process that encoded the handle
/// (the sender) or, failing that, of the one that created the object, then checks the inode,
/// the size and a random nonce written in the region's header, so a reused descriptor number
/// or pid never attaches to the wrong memory. Opening another process's descriptor needs the
/// same user and no `PR_SET_DUMPABLE` 0; the library's workers qualify.
struct RegionHandle: Codable, Sendable, Equatable {
    var kind: UInt32
    var nonce: UInt64
    var inode: UInt64
    var size: UInt64
    var creatorPID: Int32
    var creatorFD: Int32
    var senderPID: Int32
    var senderFD: Int32
}
