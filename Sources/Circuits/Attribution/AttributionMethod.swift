/// How an edge is scored (Syed, Rager and Conmy 2023, attribution patching; Hanna, Pezzelle and Belinkov 2024,
/// EAP-IG; definitions as hannamw/EAP-IG `attribute.py`). With Δ_s = o_s(patch) − o_s(clean) the difference of
/// sender s's output between the ablation source and the clean run, N prompts and g_r = ∂L/∂x_r the gradient of
/// the loss at receiver r's own input copy:
///
/// | method | score(s → r) |
/// |---|---|
/// | `eap` | (1/N)·Σ_i ⟨Δ_s,i, g_r,i⟩ at the clean run |
/// | `eap-ig-inputs` | (1/(N·m))·Σ_{k=0}^{m−1} Σ_i ⟨Δ_s,i, g_r,i⟩ with the embedding at corrupted + (k/m)·(clean − corrupted) |
/// | `eap-ig-activations` | (1/(N·G·m))·Σ_groups Σ_{k=1}^{m} Σ_i ⟨Δ, g⟩ with one group's output at (k/m)·clean + (1 − k/m)·patch |
/// | `clean-corrupted` | (1/(2N))·Σ_i ⟨Δ_s,i, g_r,i(clean) + g_r,i(corrupted)⟩ |
/// | `exact` | L(clean run with s → r ablated) − L(clean run), through the edge-patching executor |
///
/// ⟨·,·⟩ sums over positions and the model dimension. L is the mean loss over the prompts (EAP-IG's batch mean;
/// its scores therefore carry an extra 1/N: N·score ≈ the exact score to first order). EAP-IG-activations' G
/// groups are the input, then per layer its heads (one group) and its MLP.
public enum AttributionMethod: String, CaseIterable, Sendable, Codable {
    case eap = "eap"
    case eapIGInputs = "eap-ig-inputs"
    case eapIGActivations = "eap-ig-activations"
    case cleanCorrupted = "clean-corrupted"
    case exact = "exact"

    /// The CLI name.
    public var cliName: String { rawValue }

    /// EAP-IG's name of the method (`attribute(method=…)`).
    public var eapigName: String {
        switch self {
        case .eap: "EAP"
        case .eapIGInputs: "EAP-IG-inputs"
        case .eapIGActivations: "EAP-IG-activations"
        case .cleanCorrupted: "clean-corrupted"
        case .exact: "exact"
        }
    }

    /// Whether the method integrates over interpolation steps (`--steps`).
    public var usesSteps: Bool { self == .eapIGInputs || self == .eapIGActivations }

    /// The ablations the method is defined for: EAP-IG-inputs and clean-corrupted interpolate or evaluate at the
    /// corrupted input, so they need counterfactual (resample) patching, as EAP-IG requires.
    public var ablations: [AblationKind] {
        switch self {
        case .eapIGInputs, .cleanCorrupted: [.resample]
        case .eap, .eapIGActivations, .exact: AblationKind.allCases
        }
    }

    /// One line for `--help` and reports.
    public var summary: String {
        switch self {
        case .eap: "attribution patching: activation difference × gradient at the clean run"
        case .eapIGInputs: "EAP with integrated gradients over inputs interpolated from corrupted to clean"
        case .eapIGActivations: "EAP with integrated gradients over each component group's interpolated output"
        case .cleanCorrupted: "EAP with the gradients of the clean and the corrupted run averaged"
        case .exact: "each edge ablated alone through the edge-patching executor (one forward pass per edge)"
        }
    }
}

/// What to attribute with.
public struct AttributionSettings: Sendable, Equatable {
    public var method: AttributionMethod
    /// The metric whose loss is differentiated (`MetricKind.loss`: MIB's `logit_diff(loss=True)` for the logit
    /// difference, ACDC's KL).
    public var metric: MetricKind
    /// Where Δ comes from: the corrupted prompts (resample, EAP-IG's counterfactual `patching`), zero, or the
    /// per-position mean over the reference prompts.
    public var ablation: AblationKind
    /// Interpolation steps m of the EAP-IG methods.
    public var steps: Int
    /// EAP-IG's batch size, for scores on its scale: EAP-IG's loss is a batch mean, so its scores grow with
    /// N / batch size. Nil: all prompts in one batch.
    public var eapigBatchSize: Int?
    /// The memory the attribution may hold; prompts are processed in chunks that fit (scores do not depend on it).
    public var memoryBudget: Int

    /// 4 GiB: GPT-2 small's 100 IOI prompts of 15 tokens fit in one chunk for every method.
    public static let defaultMemoryBudget = 4 << 30

    public init(
        method: AttributionMethod, metric: MetricKind = .logitDiff, ablation: AblationKind = .resample,
        steps: Int = 5, eapigBatchSize: Int? = nil, memoryBudget: Int = defaultMemoryBudget
    ) {
        self.method = method
        self.metric = metric
        self.ablation = ablation
        self.steps = steps
        self.eapigBatchSize = eapigBatchSize
        self.memoryBudget = memoryBudget
    }
}
