import Foundation
import Tensor

/// The gradient of a metric's loss with respect to the logits at the read positions: where the backward pass of
/// edge attribution starts. Computed in Double from the Float logits.
///
/// The loss is the metric's "lower is better" value (`MetricKind.loss`): KL and l2 as they are, the logit and
/// probability differences negated. So with the logit difference the loss is MIB's `logit_diff(loss=True)`, minus
/// the logit difference, and with KL it is ACDC's `kl_divergence`, summed over the vocabulary and taken against the
/// full model's distribution on the clean prompt (held fixed: it is a constant of the metric).
///
/// Per prompt i with R read positions (values are means over them):
///
///     logit-diff:  ∂m/∂x_v = (1/R)·([v ∈ C]/|C| − [v ∈ W]/|W|)       C, W the correct and incorrect answers
///     prob-diff:   ∂m/∂x_v = (1/R)·p_v·(a_v − Σ_u a_u p_u)             a_u = #u in C − #u in W, p = softmax(x)
///     kl:          ∂m/∂x_v = (1/R)·(q_v·Σ_u p_u − p_v)                  p the full model's, q = softmax(x) (dims only)
///     l2:          ∂m/∂x_v = 2·(x_v − f_v)/(R·|dims|)                   f the full model's logits
extension Metric {
    /// The values of `logits` for `prompts` and the gradient of Σ_k weights[k]·loss_k with respect to them.
    ///
    /// - Parameters:
    ///   - logits: `[prompts.count, nRead, dVocabOut]`, row k for prompt `prompts[k]`.
    ///   - weights: one factor per row (EAP-IG's normalisation, integration steps).
    /// - Returns: the metric's values and the gradient, `[prompts.count·nRead, dVocabOut]`.
    /// - Throws: `CircuitsError.metric` for bad shapes; `CircuitsError.attribution(.unsupportedMetric)` for
    ///   `ioi-normalized`, whose baselines are set-level constants (its gradient is the logit difference's, scaled).
    public func lossGradient(_ logits: Tensor, prompts: [Int], weights: [Double]) throws -> (MetricValues, Tensor) {
        if kind == .ioiNormalized {
            throw CircuitsError.attribution(.unsupportedMetric(
                metric: kind.cliName, reason: "its normalisation uses set-level baselines; use logit-diff, which "
                    + "ranks every edge the same way"))
        }
        let values = try evaluate(logits, prompts: prompts)
        precondition(weights.count == prompts.count, "lossGradient: one weight per prompt")
        let (n, reads, vocab) = MetricFunctions.rows(logits)
        let sign: Double = kind.direction == .minimised ? 1 : -1
        var gradient = [Float](repeating: 0, count: n * reads * vocab)
        for (k, prompt) in prompts.enumerated() {
            let scale = sign * weights[k] / Double(max(reads, 1))
            for j in 0..<reads {
                let x = MetricFunctions.row(logits, k, j)
                let base = x.startIndex
                let out = (k * reads + j) * vocab
                switch kind {
                case .logitDiff, .ioiNormalized:
                    for c in correct[prompt] { gradient[out + c] += Float(scale / Double(correct[prompt].count)) }
                    for w in incorrect[prompt] { gradient[out + w] -= Float(scale / Double(incorrect[prompt].count)) }
                case .probDiff:
                    let lp = MetricFunctions.logSoftmax(x, dims: nil)
                    var a = [Int: Double]()
                    for c in correct[prompt] { a[c, default: 0] += 1 }
                    for w in incorrect[prompt] { a[w, default: 0] -= 1 }
                    let expected = a.reduce(0.0) { $0 + $1.value * exp(lp[$1.key]) }
                    for v in 0..<vocab {
                        let p = exp(lp[v])
                        gradient[out + v] = Float(scale * p * ((a[v] ?? 0) - expected))
                    }
                case .kl:
                    let full = MetricFunctions.row(fullLogits, prompt, j)
                    let lp = MetricFunctions.logSoftmax(full, dims: outputDims)
                    let lq = MetricFunctions.logSoftmax(x, dims: outputDims)
                    let pSum = lp.reduce(0) { $0 + exp($1) }
                    for (i, v) in (outputDims ?? Array(0..<vocab)).enumerated() {
                        gradient[out + v] = Float(scale * (exp(lq[i]) * pSum - exp(lp[i])))
                    }
                case .l2:
                    let full = MetricFunctions.row(fullLogits, prompt, j)
                    let dims = outputDims ?? Array(0..<vocab)
                    for v in dims {
                        let diff = Double(x[base + v]) - Double(full[full.startIndex + v])
                        gradient[out + v] = Float(scale * 2 * diff / Double(dims.count))
                    }
                }
            }
        }
        return (values, Tensor(shape: [n * reads, vocab], scalars: gradient))
    }
}
