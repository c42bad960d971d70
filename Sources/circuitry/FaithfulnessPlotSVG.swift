import Circuits
import Foundation

/// MIB's faithfulness plot as one self-contained SVG document: faithfulness against the edge budget on a
/// log-scaled budget axis (MIB's budgets span 0.1 % to 100 % of the edges, as in Mueller et al. 2025, Figure 2),
/// one line with markers per ranking, dashed guides at f = 0 (the empty circuit) and f = 1 (the full model), and a
/// legend with each ranking's CPR (area under the curve, higher is better) and CMD (area between the curve and 1,
/// lower is better). The output depends only on the curves: coordinates with one decimal, fixed-precision labels,
/// a fixed palette (Okabe–Ito, readable with colour-vision deficiencies), no dates.
enum FaithfulnessPlotSVG {
    static let width = 640
    static let plotTop = 40
    static let plotHeight = 300
    static let left = 64
    static let right = 24
    static let legendLine = 18
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    static func render(_ curves: [FaithfulnessCurve], title: String) -> String {
        let plotWidth = width - left - right
        let plotBottom = plotTop + plotHeight
        let budgets = curves.flatMap { $0.points.map(\.budget) }.filter { $0 > 0 }
        let lowDecade = floor(log10(budgets.min() ?? 0.001))
        let highDecade = max(ceil(log10(budgets.max() ?? 1)), lowDecade + 1)
        let values = curves.flatMap { $0.points.map(\.faithfulness) }.filter(\.isFinite)
        let step = tickStep(span: max(1, values.max() ?? 1) - min(0, values.min() ?? 0))
        let yLow = min(0, floor((values.min() ?? 0) / step) * step)
        let yHigh = max(1, ceil((values.max() ?? 1) / step) * step)
        func x(_ k: Double) -> Double {
            Double(left) + (log10(k) - lowDecade) / (highDecade - lowDecade) * Double(plotWidth)
        }
        func y(_ f: Double) -> Double { Double(plotBottom) - (f - yLow) / (yHigh - yLow) * Double(plotHeight) }

        var out: [String] = []
        let height = plotBottom + 56 + legendLine * curves.count + 10
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">")
        out.append("<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>")
        out.append("<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>")
        // Grid and ticks: every decade labelled, 2× and 5× minor ticks; faithfulness ticks every `step`.
        var decade = lowDecade
        while decade <= highDecade {
            for multiple in [1.0, 2, 5] {
                let k = multiple * pow(10, decade)
                guard log10(k) <= highDecade + 1e-9 else { continue }
                let xx = fmt(x(k))
                let major = multiple == 1
                out.append("<line x1=\"\(xx)\" y1=\"\(plotTop)\" x2=\"\(xx)\" y2=\"\(plotBottom)\" stroke=\"#e0e0e0\""
                    + (major ? "" : " stroke-dasharray=\"2,3\"") + "/>")
                out.append("<line x1=\"\(xx)\" y1=\"\(plotBottom)\" x2=\"\(xx)\" y2=\"\(plotBottom + (major ? 6 : 3))\" stroke=\"#000000\"/>")
                if major {
                    out.append("<text x=\"\(xx)\" y=\"\(plotBottom + 20)\" text-anchor=\"middle\">\(budgetLabel(k))</text>")
                }
            }
            decade += 1
        }
        var f = yLow
        while f <= yHigh + step / 2 {
            let yy = fmt(y(f))
            let guide = abs(f) < 1e-9 || abs(f - 1) < 1e-9
            out.append("<line x1=\"\(left)\" y1=\"\(yy)\" x2=\"\(left + plotWidth)\" y2=\"\(yy)\" "
                + (guide ? "stroke=\"#808080\" stroke-dasharray=\"6,4\"" : "stroke=\"#e0e0e0\"") + "/>")
            out.append("<text x=\"\(left - 8)\" y=\"\(fmt(y(f) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", f))</text>")
            f += step
        }
        out.append("<rect x=\"\(left)\" y=\"\(plotTop)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#000000\"/>")
        out.append("<text x=\"\(left + plotWidth / 2)\" y=\"\(plotBottom + 40)\" text-anchor=\"middle\">"
            + "edge budget k (fraction of the graph's edges, log scale)</text>")
        let yMid = plotTop + plotHeight / 2
        out.append("<text x=\"18\" y=\"\(yMid)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(yMid))\">faithfulness f(k)</text>")

        for (index, curve) in curves.enumerated() {
            let colour = palette[index % palette.count]
            let points = curve.points.filter { $0.budget > 0 && $0.faithfulness.isFinite }
            let path = points.map { "\(fmt(x($0.budget))),\(fmt(y($0.faithfulness)))" }.joined(separator: " ")
            out.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>")
            for p in points {
                out.append("<circle cx=\"\(fmt(x(p.budget)))\" cy=\"\(fmt(y(p.faithfulness)))\" r=\"3.5\" fill=\"\(colour)\">"
                    + "<title>k \(budgetLabel(p.budget)): \(p.keptEdges) edges, f \(String(format: "%.4f", p.faithfulness))</title></circle>")
            }
            let ly = plotBottom + 62 + legendLine * index
            out.append("<line x1=\"\(left)\" y1=\"\(ly - 4)\" x2=\"\(left + 24)\" y2=\"\(ly - 4)\" stroke=\"\(colour)\" stroke-width=\"2\"/>")
            out.append("<circle cx=\"\(left + 12)\" cy=\"\(ly - 4)\" r=\"3.5\" fill=\"\(colour)\"/>")
            let order = curve.absolute ? "|score|" : "signed"
            out.append("<text x=\"\(left + 32)\" y=\"\(ly)\">" + escape(
                "\(curve.rankingName) (\(order)): CPR \(String(format: "%.3f", curve.cpr)), CMD \(String(format: "%.3f", curve.cmd))")
                + "</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// A tick step giving at most about 8 faithfulness ticks.
    static func tickStep(span: Double) -> Double {
        for step in [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100] where span / step <= 8 { return step }
        return pow(10, ceil(log10(span / 8)))
    }

    /// `0.001`, `0.01`, `0.1`, `1` (a budget as the shortest decimal).
    static func budgetLabel(_ k: Double) -> String {
        var s = String(format: "%.6f", k)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// One decimal, no locale, no negative zero.
    static func fmt(_ v: Double) -> String {
        let s = String(format: "%.1f", v)
        return s == "-0.0" ? "0.0" : s
    }

    static func escape(_ s: String) -> String { HeatmapSVG.escape(s) }
}
