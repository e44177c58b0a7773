// Float <-> IEEE half (F16) and bfloat16 (BF16) on bit patterns, rounding to nearest even.
//
// Written by hand rather than through Swift's `Float16` because that type does not exist on
// x86_64 macOS, and because these branch-free forms vectorise: shipped weights hold millions of
// values. The tests check the half conversions against `Float16` wherever it exists.

// MARK: - Half precision (1 sign, 5 exponent, 10 mantissa bits)

/// The F16 bit pattern nearest to `x` (ties to even). Overflow gives ±infinity; NaN gives a quiet
/// NaN of the same sign.
@inlinable
public func float16Bits(_ x: Float) -> UInt16 {
    // Scaling by 2^112 then 2^-110 lets the FPU do the rounding: values that overflow half become
    // infinity, and subnormal halves round correctly in the addition below (Maratyszcza's FP16).
    let scaleToInfinity = Float(bitPattern: 0x7780_0000)  // 2^112
    let scaleToZero = Float(bitPattern: 0x0880_0000)  // 2^-110
    var base = (abs(x) * scaleToInfinity) * scaleToZero

    let bits = x.bitPattern
    let shiftedBits = bits &+ bits  // drops the sign
    let sign = bits & 0x8000_0000
    // Adding a power of two whose exponent is the input's (at least that of the smallest half
    // normal) leaves exactly the 10 mantissa bits half keeps, rounded to nearest even.
    let bias = max(shiftedBits & 0xFF00_0000, 0x7100_0000)
    base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
    let rounded = base.bitPattern
    let exponentBits = (rounded >> 13) & 0x0000_7C00
    let mantissaBits = rounded & 0x0000_0FFF
    let magnitude = shiftedBits > 0xFF00_0000 ? 0x7E00 : exponentBits &+ mantissaBits
    return UInt16(truncatingIfNeeded: (sign >> 16) | magnitude)
}

/// The Float holding F16 bit pattern `h` exactly (every half is a float).
@inlinable
public func float(fromFloat16Bits h: UInt16) -> Float {
    let word = UInt32(h) << 16
    let sign = word & 0x8000_0000
    let shiftedWord = word &+ word  // drops the sign
    // Normals (and inf/NaN): move exponent and mantissa into float position, rebias by 2^-112.
    let normal = Float(bitPattern: (shiftedWord >> 4) &+ (0xE0 << 23)) * Float(bitPattern: 0x0780_0000)
    // Subnormals: the mantissa as the low bits of 0.5's mantissa, minus 0.5.
    let subnormal = Float(bitPattern: (shiftedWord >> 17) | (126 << 23)) - 0.5
    let magnitude = shiftedWord < (1 << 27) ? subnormal.bitPattern : normal.bitPattern
    return Float(bitPattern: sign | magnitude)
}

// MARK: - bfloat16 (1 sign, 8 exponent, 7 mantissa bits: the top half of a float)

/// The BF16 bit pattern nearest to `x` (ties to even). NaN stays a quiet NaN of the same sign.
@inlinable
public func bfloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let lowestKeptBit = (bits >> 16) & 1
    let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lowestKeptBit) >> 16)
    // Rounding could carry a NaN's payload into infinity; force the quiet bit instead.
    let quietNaN = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    return x.isNaN ? quietNaN : rounded
}

/// The Float holding BF16 bit pattern `h` exactly.
@inlinable
public func float(fromBFloat16Bits h: UInt16) -> Float {
    Float(bitPattern: UInt32(h) << 16)
}

// MARK: - Arrays

/// F16 bit patterns of `values`, element by element.
public func float16Bits(_ values: [Float]) -> [UInt16] { map(values, float16Bits) }

/// Floats from F16 bit patterns, element by element.
public func floats(fromFloat16Bits bits: [UInt16]) -> [Float] { map(bits, float(fromFloat16Bits:)) }

/// BF16 bit patterns of `values`, element by element.
public func bfloat16Bits(_ values: [Float]) -> [UInt16] { map(values, bfloat16Bits) }

/// Floats from BF16 bit patterns, element by element.
public func floats(fromBFloat16Bits bits: [UInt16]) -> [Float] { map(bits, float(fromBFloat16Bits:)) }

/// A plain loop over raw buffers into uninitialised storage: no bounds checks, no growth, and
/// after inlining of `convert` the compiler can vectorise it.
@inline(__always)
private func map<Source, Target>(_ source: [Source], _ convert: (Source) -> Target) -> [Target] {
    source.withUnsafeBufferPointer { input in
        [Target](unsafeUninitializedCapacity: input.count) { output, initialized in
            for i in 0..<input.count { (output.baseAddress! + i).initialize(to: convert(input[i])) }
            initialized = input.count
        }
    }
}
