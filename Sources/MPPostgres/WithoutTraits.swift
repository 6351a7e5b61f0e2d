// Built without the Dashboard trait (the root package's default), this program has no command
// line (swift-argument-parser) nor dashboard (Hummingbird): it only says how to build it.
#if !Dashboard
#if canImport(Glibc)
import Glibc
#endif

@main
enum WithoutTraits {
    static func main() {
        let message = "mp-postgres needs the Dashboard trait: swift build --enable-all-traits --product mp-postgres\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
}
#endif
