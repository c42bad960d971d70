/// A little-endian binary encoding for the integers, doubles (as exact bit patterns) and integer lists the ranks
/// exchange: small, exact and independent of JSON number formatting.
public struct MessageWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ value: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }

    public mutating func write(_ value: Double) { write(value.bitPattern) }

    public mutating func write(_ values: [Int]) {
        write(values.count)
        for v in values { write(v) }
    }

    public mutating func write(_ values: [Double]) {
        write(values.count)
        for v in values { write(v) }
    }
}

/// Reads what `MessageWriter` wrote, failing with `ClusterError.malformedMessage` on a short or inconsistent buffer.
public struct MessageReader: Sendable {
    let bytes: [UInt8]
    var offset = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readUInt64() throws -> UInt64 {
        guard offset + 8 <= bytes.count else {
            throw ClusterError.malformedMessage("expected 8 bytes at offset \(offset) of \(bytes.count)")
        }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    public mutating func readInt() throws -> Int { Int(Int64(bitPattern: try readUInt64())) }

    public mutating func readDouble() throws -> Double { Double(bitPattern: try readUInt64()) }

    public mutating func readInts() throws -> [Int] {
        let n = try readInt()
        guard n >= 0, n <= (bytes.count - offset) / 8 else {
            throw ClusterError.malformedMessage("a list of \(n) integers does not fit the \(bytes.count - offset) bytes left")
        }
        return try (0..<n).map { _ in try readInt() }
    }

    public mutating func readDoubles() throws -> [Double] {
        let n = try readInt()
        guard n >= 0, n <= (bytes.count - offset) / 8 else {
            throw ClusterError.malformedMessage("a list of \(n) numbers does not fit the \(bytes.count - offset) bytes left")
        }
        return try (0..<n).map { _ in try readDouble() }
    }
}
