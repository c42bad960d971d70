import Transformer

/// The three ways an earlier head A can feed a later head B (Elhage et al. 2021, "A Mathematical Framework for
/// Transformer Circuits", section "Three kinds of composition").
///
/// In row-vector order (what flows first stands left; TransformerLens `all_composition_scores`), with
/// `OV = W_V·W_O` and `QK = W_Q·W_Kᵀ`, the virtual weight whose size the score measures is:
/// - Q-composition: `OV_A · QK_B`, A's output read by B's query side;
/// - K-composition: `OV_A · QK_Bᵀ`, A's output read by B's key side;
/// - V-composition: `OV_A · OV_B`, A's output read by B's value side.
/// The paper writes the same products in column-vector order (`W_QK^Bᵀ·W_OV^A`, `W_QK^B·W_OV^A`, `W_OV^B·W_OV^A`);
/// Frobenius norms and singular values are the same.
///
/// The kind of a composition is the receiver's input it flows into, so it is the graph's `HeadInput`.
public typealias CompositionKind = HeadInput

extension HeadInput: Codable {
    /// `Q`, `K` or `V`.
    public var label: String { rawValue.uppercased() }
}
