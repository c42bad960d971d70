import Foundation
import Transformer

/// The safetensors header parser (`SafetensorsFile(data:fileName:)`) on arbitrary bytes: it must return a file or
/// throw `TransformerError`, never trap, hang or read out of bounds; every tensor it accepts must then be readable.
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let file = try? SafetensorsFile(data: data, fileName: "fuzz.safetensors") else { return 0 }
    for name in file.names {
        _ = try? file.tensor(named: name)
        _ = try? file.integers(named: name)
    }
    return 0
}
