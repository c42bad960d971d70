/// Vectorised elementwise functions used in the hot loops (GELU, softmax).
///
/// `exp` follows the classic Cephes `expf` scheme: reduce x = n·ln2 + r with |r| ≤ ln2/2 (ln 2 split in two parts
/// so the reduction is exact in Float), evaluate a degree-6 polynomial for e^r, and scale by 2^n through the
/// exponent bits. Its relative error is below 2 ulp over the clamped range, far inside the 1e-4 logit tolerance
/// the reference tests use, and it vectorises where libm's scalar `expf` does not.
enum FastMath {
    /// Four lanes: one SSE register on x86-64's baseline, which the compiler keeps in registers; wider types are
    /// split and spilled there and measured 6× slower.
    typealias V = SIMD4<Float>
    static let width = 4

    @inline(__always)
    static func exp(_ x: V) -> V {
        let maxArg: Float = 88.37626
        let minArg: Float = -87.33654
        var x = pointwiseMin(pointwiseMax(x, V(repeating: minArg)), V(repeating: maxArg))
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n, rounded to nearest even, in the low
        // mantissa bits (a plain bit pattern, so no float-to-integer conversion instruction is needed).
        let magic: Float = 12_582_912
        let t = x * 1.442695040888963 + magic
        let n = t - magic
        x = x - n * 0.693359375
        x = x + n * 2.12194440e-4
        let x2 = x * x
        var p = V(repeating: 1.9875691500e-4)
        p = p * x + 1.3981999507e-3
        p = p * x + 8.3334519073e-3
        p = p * x + 4.1665795894e-2
        p = p * x + 1.6666665459e-1
        p = p * x + 5.0000001201e-1
        var y = p * x2 + x + 1
        // y *= 2^n, through the exponent field (n is within [-126, 127] after clamping).
        let ni = unsafeBitCast(t, to: SIMD4<Int32>.self) &- 0x4B40_0000
        y = y * unsafeBitCast((ni &+ 127) &<< 23, to: V.self)
        return y
    }

    /// Σ_d a[ai + d]·b[bi + d] over `count` elements, four lanes at a time and the lanes summed at the end (the
    /// attention backward's and the projected norm backward's dot products).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ ai: Int, _ b: UnsafePointer<Float>, _ bi: Int, count: Int) -> Float {
        var acc = V()
        var d = 0
        while d + width <= count {
            acc += load(a, ai + d) * load(b, bi + d)
            d += width
        }
        var sum = acc.sum()
        while d < count {
            sum += a[ai + d] * b[bi + d]
            d += 1
        }
        return sum
    }

    /// Loads `width` floats starting at `p[i]`.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    /// Stores `width` floats starting at `p[i]`.
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        exp(V(repeating: x))[0]
    }
}
