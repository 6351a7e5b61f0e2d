// Built without the Tools trait (the root package's default), this program has no command line
// (swift-argument-parser) to run: it only says how to build it.
#if !Tools
#if canImport(Glibc)
import Glibc
#endif

@main
enum WithoutTraits {
    static func main() {
        let message = "mp-soak needs the Tools trait: swift build --enable-all-traits --product mp-soak\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
}
#endif
