/// Vector kernels shared by the layers. SIMD16 keeps the loops short and lets LLVM use the widest
/// registers the build targets; the scalar tail of a row goes through the same code via a partial
/// load padded with zeros.
typealias Vector = SIMD16<Float>
let vectorWidth = 16

@inline(__always)
func load(_ p: UnsafePointer<Float>, _ lanes: Int = vectorWidth) -> Vector {
    if lanes == vectorWidth { return UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
    var v = Vector()
    for i in 0..<lanes { v[i] = p[i] }
    return v
}

@inline(__always)
func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ lanes: Int = vectorWidth) {
    if lanes == vectorWidth {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
        return
    }
    for i in 0..<lanes { p[i] = v[i] }
}

/// Calls `body(offset, lanes)` over `range` in steps of 16 elements; only the last step may be short.
@inline(__always)
func vectorLoop(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
    var i = range.lowerBound
    while i + vectorWidth <= range.upperBound {
        body(i, vectorWidth)
        i += vectorWidth
    }
    if i < range.upperBound { body(i, range.upperBound - i) }
}

/// e^x to about 2 ulp (Cephes' polynomial on x reduced by ln 2), with e^x = 0 below -87.3 so that
/// masked (-inf) scores give exactly zero probability.
@inline(__always)
func exp(_ x: Vector) -> Vector {
    // Clamps by compare-and-select: pointwiseMin/Max compile to scalar loops, comparisons do not.
    let low = Vector(repeating: -87.3), high = Vector(repeating: 88.3)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // Round x·log2(e) to an integer n with the 1.5·2^23 trick: the integer lands in the mantissa bits.
    let magic: Float = 12_582_912
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693_359_375 - n * -2.121_944_4e-4
    var p: Vector = Vector(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * r * r + r + 1
    let nInt = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(Vector(repeating: magic), to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((nInt &+ 127) &<< 23, to: Vector.self)
    return (p * scale).replacing(with: 0, where: x .< -87.3)
}

@inline(__always)
func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vector()
    vectorLoop(0..<n) { i, lanes in acc += load(p + i, lanes) }
    return acc.sum()
}

@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vector()
    vectorLoop(0..<n) { i, lanes in acc += load(a + i, lanes) * load(b + i, lanes) }
    return acc.sum()
}

@inline(__always)
func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vector(repeating: -.infinity)
    vectorLoop(0..<n) { i, lanes in
        var v = load(p + i, lanes)
        if lanes < vectorWidth { for lane in lanes..<vectorWidth { v[lane] = -.infinity } }
        acc.replace(with: v, where: v .> acc)
    }
    return acc.max()
}

/// out = a + b, element-wise, on both cores.
func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
    precondition(a.count == b.count && a.count == out.count, "add \(a.shape) + \(b.shape) -> \(out.shape)")
    let pa = a.pointer, pb = b.pointer, po = SendablePointer(out.pointer)
    Parallel.forChunks(out.count) { range in
        vectorLoop(range) { i, lanes in store(load(pa + i, lanes) + load(pb + i, lanes), po.base + i, lanes) }
    }
}

/// Row-wise softmax of `row` in place, over `n` entries, after adding an optional bias (0 for
/// allowed, -inf for masked). A row with nothing allowed becomes all zeros rather than NaN.
@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int, bias: UnsafePointer<Float>?, keyBias: UnsafePointer<Float>?) {
    if bias != nil || keyBias != nil {
        vectorLoop(0..<n) { i, lanes in
            var v = load(row + i, lanes)
            if let bias { v += load(bias + i, lanes) }
            if let keyBias { v += load(keyBias + i, lanes) }
            store(v, row + i, lanes)
        }
    }
    let rowMax = maximum(row, n)
    if rowMax == -.infinity {
        row.update(repeating: 0, count: n)
        return
    }
    var total = Vector()
    vectorLoop(0..<n) { i, lanes in
        let e = exp(load(row + i, lanes) - rowMax)
        store(e, row + i, lanes)
        if lanes == vectorWidth { total += e } else { for lane in 0..<lanes { total[lane] += e[lane] } }
    }
    let inverse = 1 / total.sum()
    vectorLoop(0..<n) { i, lanes in store(load(row + i, lanes) * inverse, row + i, lanes) }
}

/// dx = y ⊙ (dy − ⟨dy, y⟩) for y = softmax(x); `gradient` may alias `dOut`.
@inline(__always)
func softmaxBackwardRow(probabilities y: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                        gradient: UnsafeMutablePointer<Float>, _ n: Int) {
    let inner = dot(y, dOut, n)
    vectorLoop(0..<n) { i, lanes in
        store(load(y + i, lanes) * (load(dOut + i, lanes) - inner), gradient + i, lanes)
    }
}
