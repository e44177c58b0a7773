#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Orthonormal 2D DCT-II basis functions over a square grid, in JPEG's zigzag order (the constant
/// function first, then rising frequency), one row per function.
///
/// The tokenizer starts its register poolings from these rows: register 0 reads the mean of the
/// patches, the next registers the coarsest gradients, and so on, an order that matches the
/// coarse-to-fine order the prefix code wants. Rows past `side²` functions are zero.
enum SpectralBasis {
    static func dct(side: Int, count: Int) -> [Float] {
        let positions = side * side
        var rows = [Float](repeating: 0, count: count * positions)
        for (row, (u, v)) in zigzag(side: side).prefix(count).enumerated() {
            let cu = (0..<side).map { cos(Double.pi * (Double($0) + 0.5) * Double(u) / Double(side)) }
            let cv = (0..<side).map { cos(Double.pi * (Double($0) + 0.5) * Double(v) / Double(side)) }
            var values = [Double](repeating: 0, count: positions)
            for y in 0..<side { for x in 0..<side { values[y * side + x] = cu[y] * cv[x] } }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<positions { rows[row * positions + i] = Float(values[i] / norm) }
        }
        return rows
    }

    /// The transpose of a row-major rows × columns matrix.
    static func transposed(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        var result = [Float](repeating: 0, count: matrix.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = matrix[r * columns + c] } }
        return result
    }

    /// (vertical, horizontal) frequencies by diagonal, alternating direction as JPEG does.
    static func zigzag(side: Int) -> [(Int, Int)] {
        (0..<(2 * side - 1)).flatMap { diagonal -> [(Int, Int)] in
            let cells = (0..<side).compactMap { u -> (Int, Int)? in
                let v = diagonal - u
                return (0..<side).contains(v) ? (u, v) : nil
            }
            return diagonal % 2 == 0 ? cells.reversed() : cells
        }
    }
}
