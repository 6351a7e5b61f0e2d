#if canImport(Glibc)
import Glibc
#endif

/// Prints a line and flushes it at once: when stdout is a pipe (a CI log) it is block-buffered,
/// and its lines would come out after the progress lines written to stderr meanwhile.
func say(_ line: String = "") {
    print(line)
    fflush(nil)
}
