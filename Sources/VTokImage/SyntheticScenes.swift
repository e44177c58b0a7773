#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Images the project renders itself: the samples in `samples/` (`vtok samples` writes them) and test
/// inputs. Deterministic: the same name and size always give the same pixels.
public enum SyntheticScene: String, CaseIterable, Sendable {
    /// Colour bars, grey ramps, a checkerboard, a zone plate and discs: sharp edges and fine detail.
    case testCard = "test-card"
    /// Sky, sun, and mountain ridges from fractal noise: smooth gradients and natural-looking edges.
    case landscape
    /// Shaded overlapping discs over a textured ground: objects, shadows and texture.
    case still

    public func render(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) / Double(width), v = Double(y) / Double(height)
                let (r, g, b) = color(u: u, v: v, aspect: Double(width) / Double(height))
                let i = (y * width + x) * 3
                pixels[i] = Self.byte(r)
                pixels[i + 1] = Self.byte(g)
                pixels[i + 2] = Self.byte(b)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func byte(_ value: Double) -> UInt8 { UInt8(max(0, min(255, (value * 255).rounded()))) }

    private func color(u: Double, v: Double, aspect: Double) -> (Double, Double, Double) {
        switch self {
        case .testCard: return testCard(u: u, v: v, aspect: aspect)
        case .landscape: return landscape(u: u, v: v)
        case .still: return still(u: u, v: v, aspect: aspect)
        }
    }

    private func testCard(u: Double, v: Double, aspect: Double) -> (Double, Double, Double) {
        if v < 0.3 {
            let bars: [(Double, Double, Double)] = [(1, 1, 1), (1, 1, 0), (0, 1, 1), (0, 1, 0), (1, 0, 1), (1, 0, 0), (0, 0, 1), (0, 0, 0)]
            return bars[min(7, Int(u * 8))]
        }
        if v < 0.4 { let ramp = u; return (ramp, ramp, ramp) }
        if v < 0.5 { return (u, 1 - u, 0.5 + 0.5 * sin(u * 12)) }
        let x = (u - 0.5) * aspect, y = v - 0.75
        if u < 0.3 {
            let checker = (Int(u * 40) + Int(v * 40)) % 2 == 0
            return checker ? (0.9, 0.9, 0.9) : (0.1, 0.1, 0.1)
        }
        if u > 0.7 {
            let r2 = ((u - 0.85) * (u - 0.85) * aspect * aspect + y * y) * 900
            let zone = 0.5 + 0.5 * cos(r2)
            return (zone, zone, zone)
        }
        let d = (x * x + y * y).squareRoot()
        if d < 0.18 { return (0.95, 0.6 - d, 0.2 + d * 2) }
        return (0.2, 0.3, 0.45)
    }

    private func landscape(u: Double, v: Double) -> (Double, Double, Double) {
        let sunDistance = ((u - 0.72) * (u - 0.72) + (v - 0.25) * (v - 0.25)).squareRoot()
        var color = (0.35 + 0.5 * v, 0.55 + 0.35 * v, 0.95 - 0.2 * v)
        if sunDistance < 0.06 { color = (1, 0.95, 0.7) } else if sunDistance < 0.12 {
            let glow = (0.12 - sunDistance) / 0.06 * 0.5
            color = (color.0 + glow, color.1 + glow * 0.8, color.2)
        }
        let ridges: [(base: Double, amplitude: Double, seed: UInt64, shade: (Double, Double, Double))] = [
            (0.45, 0.18, 1, (0.45, 0.5, 0.62)), (0.6, 0.15, 2, (0.25, 0.38, 0.3)), (0.78, 0.1, 3, (0.15, 0.28, 0.12)),
        ]
        for ridge in ridges {
            let height = ridge.base - ridge.amplitude * fractalNoise(u * 6, Double(ridge.seed) * 10, seed: ridge.seed)
            if v > height {
                let texture = 0.08 * fractalNoise(u * 60, v * 60, seed: ridge.seed + 10)
                let depth = (v - height) * 0.6
                color = (ridge.shade.0 + texture - depth * 0.2, ridge.shade.1 + texture - depth * 0.1, ridge.shade.2 + texture)
            }
        }
        return color
    }

    private func still(u: Double, v: Double, aspect: Double) -> (Double, Double, Double) {
        let ground = 0.5 + 0.15 * fractalNoise(u * 30, v * 30, seed: 7)
        var color = v > 0.6 ? (0.55 * ground + 0.2, 0.4 * ground + 0.15, 0.3 * ground) : (0.82, 0.8, 0.74 - 0.1 * v)
        let discs: [(x: Double, y: Double, r: Double, c: (Double, Double, Double))] = [
            (0.3, 0.55, 0.17, (0.85, 0.2, 0.15)), (0.55, 0.6, 0.14, (0.95, 0.75, 0.1)), (0.72, 0.5, 0.2, (0.2, 0.45, 0.8)),
        ]
        for disc in discs {
            // Shadow on the ground, then the disc with a light from the upper left.
            let sx = (u - disc.x - 0.04) * aspect, sy = (v - disc.y - 0.2) * 3
            if v > 0.6 && sx * sx + sy * sy < disc.r * disc.r { color = (color.0 * 0.6, color.1 * 0.6, color.2 * 0.6) }
            let dx = (u - disc.x) * aspect, dy = v - disc.y
            let d2 = dx * dx + dy * dy
            if d2 < disc.r * disc.r {
                let z = (disc.r * disc.r - d2).squareRoot() / disc.r
                let light = max(0, (-dx * 0.5 - dy * 0.6) / disc.r + z * 0.6) * 0.8 + 0.2
                let highlight = pow(max(0, light - 0.75) * 4, 3) * 0.5
                color = (disc.c.0 * light + highlight, disc.c.1 * light + highlight, disc.c.2 * light + highlight)
            }
        }
        return color
    }
}

/// Smooth value noise summed over octaves, roughly in [-1, 1].
func fractalNoise(_ x: Double, _ y: Double, seed: UInt64) -> Double {
    var total = 0.0, amplitude = 0.5, frequency = 1.0
    for octave in 0..<5 {
        total += amplitude * valueNoise(x * frequency, y * frequency, seed: seed &+ UInt64(octave) &* 7919)
        amplitude *= 0.5
        frequency *= 2
    }
    return total
}

private func valueNoise(_ x: Double, _ y: Double, seed: UInt64) -> Double {
    let x0 = floor(x), y0 = floor(y)
    let fx = x - x0, fy = y - y0
    let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
    func lattice(_ i: Double, _ j: Double) -> Double {
        var h = UInt64(bitPattern: Int64(i)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(j)) &* 0xC2B2_AE3D_27D4_EB4F ^ seed
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Double(h % 10_000) / 5000 - 1
    }
    let top = lattice(x0, y0) * (1 - sx) + lattice(x0 + 1, y0) * sx
    let bottom = lattice(x0, y0 + 1) * (1 - sx) + lattice(x0 + 1, y0 + 1) * sx
    return top * (1 - sy) + bottom * sy
}
