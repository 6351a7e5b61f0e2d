import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Called by the C constructor, before `main`, when the executable was started as a worker.
/// It never returns: the worker loop ends the process.
@_cdecl("swift_multiprocessing_worker_main")
func swiftMultiprocessingWorkerMain() {
    guard let raw = getenv(WorkerMarker.variable),
          let marker = WorkerMarker(parsing: String(cString: raw)) else {
        let text = "swift-multiprocessing: malformed \(WorkerMarker.variable); not starting a worker\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        _exit(126)
    }
    // A program this worker starts must not become a worker too.
    unsetenv(WorkerMarker.variable)
    CurrentProcess.workerParent.store(marker.parentPID, ordering: .relaxed)

    // Die with the parent. The parent may already be gone: then exit now.
    _ = cmp_set_parent_death_signal(SIGKILL)
    if getppid() != marker.parentPID { _exit(0) }
    WorkerDescendants.adoptOrphans()

    // The channel and status page must not leak into programs a job starts, and the channel
    // moves out of the way of the low descriptors jobs use.
    let page = StatusPage(mapping: CMP_STATUS_FD)
    WorkerChannel.holdWithDevNull(CMP_STATUS_FD)
    guard let channel = WorkerChannel.relocate(from: CMP_CHANNEL_FD) else {
        let text = "swift-multiprocessing: the worker's channel is not open; not starting a worker\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        _exit(126)
    }

    // Line-buffered, so a job's prints arrive whole and in time.
    cmp_line_buffer_stdout()
    cmp_tune_worker_malloc()

    if marker.memoryLimitBytes > 0 {
        var limit = rlimit(rlim_cur: rlim_t(marker.memoryLimitBytes), rlim_max: rlim_t(marker.memoryLimitBytes))
        _ = setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit)
    }

    Task.detached {
        let loop = WorkerLoop(channel: channel, page: page, marker: marker)
        await loop.run()
    }
    // The main thread serves the main actor, for jobs that use it.
    cmp_serve_main_queue_forever()
}
