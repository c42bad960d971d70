import Foundation
import Tensor

/// A read-only view of a `.safetensors` file: a little-endian `UInt64` header length `n`, `n` bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`, then the raw tensor bytes,
/// offsets relative to the end of the header (format: https://github.com/huggingface/safetensors, "Format").
///
/// The file is memory-mapped, so opening a 500 MB GPT-2 checkpoint costs nothing until tensors are read, and
/// every header entry is validated up front (offsets in range, sizes matching shapes, no overlaps): a corrupt or
/// truncated file fails at `init` with a message naming the file and tensor, never later inside the forward pass.
public struct SafetensorsFile: Sendable {
    /// Every `dtype` the format defines, with its element size; only the float ones can become a `Tensor`.
    public enum DType: String, Sendable, CaseIterable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
        case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32"
        case f64 = "F64", i64 = "I64", u64 = "U64"

        /// Bytes per element.
        public var byteWidth: Int {
            switch self {
            case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
            case .i16, .u16, .f16, .bf16: 2
            case .i32, .u32, .f32: 4
            case .f64, .i64, .u64: 8
            }
        }

        /// The float decoding for this dtype, nil for integer and 8-bit float types.
        var floatEncoding: FloatEncoding? { FloatEncoding(rawValue: rawValue) }
    }

    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range inside the data section (after the header).
        public let dataRange: Range<Int>
    }

    /// The safetensors reference implementation refuses headers above 100 MB; so do we, so that a garbage
    /// length field fails fast with a clear message instead of a giant allocation.
    public static let maximumHeaderLength = 100_000_000

    /// The file name used in error messages (the path for files opened from disk).
    public let fileName: String
    /// Header entries by tensor name.
    public let entries: [String: Entry]
    /// The free-form `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    private let bytes: Data
    private let dataStart: Int

    /// Opens and validates the file at `url`, memory-mapped.
    public init(url: URL) throws {
        let data: Data
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TransformerError.weightsUnreadable(file: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw TransformerError.weightsUnreadable(file: url.path, reason: "it is a folder, not a file")
        }
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TransformerError.weightsUnreadable(
                file: url.path, reason: "cannot open: \(TextFile.describeFileError(error))")
        }
        try self.init(data: data, fileName: url.path)
    }

    /// Validates `data` as a safetensors file; `fileName` names it in errors.
    public init(data: Data, fileName: String) throws {
        func fail(_ reason: String) -> TransformerError { .weightsUnreadable(file: fileName, reason: reason) }
        let size = data.count
        guard size >= 8 else {
            throw fail("the file has \(size) bytes, too short for the 8-byte header length (truncated?)")
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw fail("header length \(headerLength) exceeds the format's limit of \(Self.maximumHeaderLength) bytes")
        }
        guard Int(headerLength) <= size - 8 else {
            throw fail("header length \(headerLength) is larger than the \(size - 8) bytes after the length field (truncated?)")
        }
        let start = data.startIndex
        let headerData = data.subdata(in: (start + 8)..<(start + 8 + Int(headerLength)))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw fail("the header is " + TextFile.describeJSONError(error, expected: "a JSON object"))
        }
        guard let header = json as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        let dataLength = size - 8 - Int(headerLength)
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                if let table = value as? [String: Any] {
                    for (key, item) in table { metadata[key] = item as? String ?? "\(item)" }
                }
                continue
            }
            entries[name] = try Self.parseEntry(name: name, value: value, dataLength: dataLength, fail: fail)
        }
        // Overlap check: sorted by start, each non-empty range must begin at or after the previous one's end.
        let sorted = entries.values.filter { !$0.dataRange.isEmpty }
            .sorted { ($0.dataRange.lowerBound, $0.name) < ($1.dataRange.lowerBound, $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw fail(
                "tensors '\(previous.name)' (bytes \(previous.dataRange.lowerBound)..<\(previous.dataRange.upperBound)) and "
                    + "'\(next.name)' (bytes \(next.dataRange.lowerBound)..<\(next.dataRange.upperBound)) overlap")
        }
        self.fileName = fileName
        self.entries = entries
        self.metadata = metadata
        self.bytes = data
        self.dataStart = 8 + Int(headerLength)
    }

    private static func parseEntry(
        name: String, value: Any, dataLength: Int, fail: (String) -> TransformerError
    ) throws -> Entry {
        guard let table = value as? [String: Any] else {
            throw fail("header entry for tensor '\(name)' is not an object")
        }
        guard let dtypeName = table["dtype"] as? String else {
            throw fail("tensor '\(name)' has no string 'dtype'")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("tensor '\(name)' has unknown dtype '\(dtypeName)'")
        }
        guard let shape = integers(table["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("tensor '\(name)' has no valid 'shape' (a list of non-negative integers)")
        }
        guard let offsets = integers(table["data_offsets"]), offsets.count == 2 else {
            throw fail("tensor '\(name)' has no valid 'data_offsets' (two integers [begin, end])")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, begin <= end else {
            throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)]: begin must be >= 0 and <= end")
        }
        guard end <= dataLength else {
            throw fail(
                "tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the \(dataLength) data bytes of the file (truncated?)")
        }
        var expected = dtype.byteWidth
        for extent in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("tensor '\(name)' has shape \(shape), too large") }
            expected = product
        }
        guard end - begin == expected else {
            throw fail(
                "tensor '\(name)' of dtype \(dtype.rawValue) and shape \(shape) needs \(expected) bytes, "
                    + "its data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// A JSON array of integers (NSNumber-backed on every platform), or nil if anything else.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for item in array {
            guard let number = item as? NSNumber else { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, Swift.abs(double) < 9.0e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    /// All tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The shape of tensor `name`, or nil if the file has none of that name.
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }

    /// Tensor `name` converted to `Float` (from F32, F16, BF16 or F64). Throws `missingTensor` for an unknown
    /// name and `weightsUnreadable` naming the dtype for integer or 8-bit float tensors.
    public func tensor(named name: String) throws -> Tensor {
        let entry = try self.entry(name)
        guard let encoding = entry.dtype.floatEncoding else {
            throw TransformerError.weightsUnreadable(
                file: fileName, reason: "tensor '\(name)' has dtype \(entry.dtype.rawValue), which cannot be read as Float")
        }
        return Tensor(littleEndian: slice(entry), encoding: encoding, shape: entry.shape)
    }

    /// Integer tensor `name` (I64 or I32, e.g. token ids) as its shape and row-major values.
    public func integers(named name: String) throws -> (shape: [Int], values: [Int]) {
        let entry = try self.entry(name)
        guard let encoding = IntegerEncoding(rawValue: entry.dtype.rawValue) else {
            throw TransformerError.weightsUnreadable(
                file: fileName, reason: "tensor '\(name)' has dtype \(entry.dtype.rawValue), which cannot be read as integers")
        }
        return (entry.shape, LittleEndianIntegers.decode(slice(entry), encoding: encoding))
    }

    private func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw TransformerError.missingTensor(file: fileName, tensor: name) }
        return entry
    }

    /// The entry's bytes (a view into the mapped file; `Data` slices keep their parent's indices).
    private func slice(_ entry: Entry) -> Data {
        let base = bytes.startIndex + dataStart
        return bytes[(base + entry.dataRange.lowerBound)..<(base + entry.dataRange.upperBound)]
    }
}
