import Circuits
import Foundation
import Transformer

/// Reading the edge rankings that `evaluate --scores` and `compare --scores` take (EAP-IG / MIB graph JSON, a score
/// list, an ACDC report), through the CLI's one input reader (`-` for standard input, CRLF and byte-order marks,
/// sizes bounded), each named for display.
enum RankingFiles {
    static func read(_ paths: [String], graph: CircuitGraph) throws -> [EdgeRanking] {
        try paths.map { path in
            let (data, _) = try InputFile.read(path, option: "--scores", limit: WorkloadMemory.promptFileLimit)
            let text: String
            do {
                text = try TextFile.decode(data, file: path)
            } catch let TransformerError.textUnreadable(_, reason) {
                throw CLIError.input("cannot read --scores \(path): \(reason)")
            }
            var ranking = try EdgeRanking.read(text, graph: graph, file: path)
            ranking.name = displayName(path, among: paths)
            return ranking
        }
    }

    /// The ranking's label in tables and plots: the file name, or the whole path when two files share a name.
    static func displayName(_ path: String, among paths: [String]) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let clashes = paths.filter { URL(fileURLWithPath: $0).lastPathComponent == name }.count
        return clashes > 1 ? path : name
    }
}
