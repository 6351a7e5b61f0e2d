import CMultiprocessing

/// Atomic operations on integer elements, atomic across processes (C `__atomic` built-ins on
/// the shared memory, sequentially consistent). Python's `Array` has none; it locks instead.
///
/// ```swift
/// let hits = try SharedArray<Int>(count: 1)
/// // In 4 processes at once:
/// for _ in 0..<100_000 { hits.atomicWrappingAdd(1, at: 0) }
/// // hits[0] == 400_000
/// ```
extension SharedArray where Element: FixedWidthInteger {
    /// Reads element `index` atomically.
    public func atomicLoad(at index: Int) -> Element {
        let p = address(of: index)
        switch MemoryLayout<Element>.size {
        case 1: return Element(truncatingIfNeeded: cmp_ipc_load8(p))
        case 2: return Element(truncatingIfNeeded: cmp_ipc_load16(p))
        case 4: return Element(truncatingIfNeeded: cmp_ipc_load32(p))
        case 8: return Element(truncatingIfNeeded: cmp_ipc_load64(p))
        default: Self.unsupported()
        }
    }

    /// Writes element `index` atomically.
    public func atomicStore(_ value: Element, at index: Int) {
        let p = address(of: index)
        switch MemoryLayout<Element>.size {
        case 1: cmp_ipc_store8(p, UInt8(truncatingIfNeeded: value))
        case 2: cmp_ipc_store16(p, UInt16(truncatingIfNeeded: value))
        case 4: cmp_ipc_store32(p, UInt32(truncatingIfNeeded: value))
        case 8: cmp_ipc_store64(p, UInt64(truncatingIfNeeded: value))
        default: Self.unsupported()
        }
    }

    /// Adds `operand` to element `index` atomically, wrapping on overflow.
    /// - Returns: the values before and after.
    @discardableResult
    public func atomicWrappingAdd(_ operand: Element, at index: Int) -> (oldValue: Element, newValue: Element) {
        let p = address(of: index)
        let old: Element
        switch MemoryLayout<Element>.size {
        case 1: old = Element(truncatingIfNeeded: cmp_ipc_fetch_add8(p, UInt8(truncatingIfNeeded: operand)))
        case 2: old = Element(truncatingIfNeeded: cmp_ipc_fetch_add16(p, UInt16(truncatingIfNeeded: operand)))
        case 4: old = Element(truncatingIfNeeded: cmp_ipc_fetch_add32(p, UInt32(truncatingIfNeeded: operand)))
        case 8: old = Element(truncatingIfNeeded: cmp_ipc_fetch_add64(p, UInt64(truncatingIfNeeded: operand)))
        default: Self.unsupported()
        }
        return (old, old &+ operand)
    }

    /// Subtracts `operand` from element `index` atomically, wrapping on overflow.
    /// - Returns: the values before and after.
    @discardableResult
    public func atomicWrappingSubtract(_ operand: Element, at index: Int) -> (oldValue: Element, newValue: Element) {
        let (old, _) = atomicWrappingAdd(0 &- operand, at: index)
        return (old, old &- operand)
    }

    /// Replaces element `index` atomically; returns the value it had.
    public func atomicExchange(_ value: Element, at index: Int) -> Element {
        let p = address(of: index)
        switch MemoryLayout<Element>.size {
        case 1: return Element(truncatingIfNeeded: cmp_ipc_exchange8(p, UInt8(truncatingIfNeeded: value)))
        case 2: return Element(truncatingIfNeeded: cmp_ipc_exchange16(p, UInt16(truncatingIfNeeded: value)))
        case 4: return Element(truncatingIfNeeded: cmp_ipc_exchange32(p, UInt32(truncatingIfNeeded: value)))
        case 8: return Element(truncatingIfNeeded: cmp_ipc_exchange64(p, UInt64(truncatingIfNeeded: value)))
        default: Self.unsupported()
        }
    }

    /// Stores `desired` in element `index` if it holds `expected`, atomically.
    /// - Returns: whether it stored, and the value the element held.
    public func atomicCompareExchange(expected: Element, desired: Element, at index: Int)
        -> (exchanged: Bool, original: Element) {
        let p = address(of: index)
        switch MemoryLayout<Element>.size {
        case 1:
            var seen = UInt8(truncatingIfNeeded: expected)
            let done = cmp_ipc_compare_exchange8(p, &seen, UInt8(truncatingIfNeeded: desired))
            return (done, Element(truncatingIfNeeded: seen))
        case 2:
            var seen = UInt16(truncatingIfNeeded: expected)
            let done = cmp_ipc_compare_exchange16(p, &seen, UInt16(truncatingIfNeeded: desired))
            return (done, Element(truncatingIfNeeded: seen))
        case 4:
            var seen = UInt32(truncatingIfNeeded: expected)
            let done = cmp_ipc_compare_exchange32(p, &seen, UInt32(truncatingIfNeeded: desired))
            return (done, Element(truncatingIfNeeded: seen))
        case 8:
            var seen = UInt64(truncatingIfNeeded: expected)
            let done = cmp_ipc_compare_exchange64(p, &seen, UInt64(truncatingIfNeeded: desired))
            return (done, Element(truncatingIfNeeded: seen))
        default:
            Self.unsupported()
        }
    }

    private static func unsupported() -> Never {
        preconditionFailure("atomic operations need 1, 2, 4 or 8-byte integers, not \(Element.self)")
    }
}
