#if Postgres
@_spi(PoolBackends) import Multiprocessing
import NIOCore

/// A job's inputs, encoded a piece at a time as the submission stores them (see
/// ``JobSubmission``): up to ``JobSubmission/pieceRows`` inputs or ``JobSubmission/pieceBytes``
/// bytes, so that the submitter never holds the whole job encoded.
struct InputPieces<Inputs: IteratorProtocol> where Inputs.Element: Encodable {
    private var inputs: Inputs
    private let pool: DistributedProcessPool

    init(_ inputs: Inputs, pool: DistributedProcessPool) {
        self.inputs = inputs
        self.pool = pool
    }

    /// The next piece; empty after the last input.
    mutating func next() throws -> [ByteBuffer] {
        var piece: [ByteBuffer] = []
        var bytes = 0
        while piece.count < JobSubmission.pieceRows && bytes < JobSubmission.pieceBytes, let input = inputs.next() {
            let encoded = try BinaryEncoder().encode(input)
            try pool.checkSize(encoded.count)
            bytes += encoded.count
            piece.append(ByteBuffer(bytes: encoded))
        }
        return piece
    }
}
#endif  // Postgres
