import Foundation
import VTokImage

/// Deterministic test images, generated the same way by the Python script that produced the reference
/// constants: a linear congruential generator feeds a gradient-plus-checkerboard texture and its noise.
struct LinearCongruential {
    var state: UInt32

    mutating func next() -> Int {
        state = (state &* 1103515245 &+ 12345) & 0x7fff_ffff
        return Int(state >> 16)
    }
}

enum SyntheticImages {
    /// Gradient, 4-pixel checkerboard and noise; values stay within 40...238.
    static func textured(width: Int, height: Int, seed: UInt32) -> RGBImage {
        var random = LinearCongruential(state: seed)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    let gradient = (x * 3 + y * 2 + channel * 30) % 120
                    let checker = ((x / 4 + y / 4) % 2) * 60
                    pixels.append(UInt8(40 + gradient + checker + random.next() % 20))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `image` plus uniform integer noise in -amplitude...amplitude, clamped to 0...255.
    static func noisy(_ image: RGBImage, seed: UInt32, amplitude: Int) -> RGBImage {
        var random = LinearCongruential(state: seed)
        let pixels = image.pixels.map { value in
            UInt8(clamping: Int(value) + random.next() % (2 * amplitude + 1) - amplitude)
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }
}

/// Runs a command-line tool, or returns nil when it is not installed.
func runReferenceTool(_ name: String, _ arguments: [String]) throws -> Bool {
    guard let path = ["/usr/bin", "/usr/local/bin", "/bin"].map({ "\($0)/\(name)" })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: name, code: Int(process.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: "\(name) \(arguments) failed"])
    }
    return true
}

/// Reads a binary PPM (P6, maxval 255), the format both dwebp and djpeg can write.
func readPPM(_ url: URL) throws -> RGBImage {
    let bytes = [UInt8](try Data(contentsOf: url))
    var fields: [String] = []
    var index = 0
    while fields.count < 4 {
        while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09) {
            index += 1
        }
        if bytes[index] == UInt8(ascii: "#") {
            while bytes[index] != 0x0a { index += 1 }
            continue
        }
        let start = index
        while !(bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09) { index += 1 }
        fields.append(String(decoding: bytes[start..<index], as: UTF8.self))
    }
    index += 1
    guard fields[0] == "P6", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255" else {
        throw NSError(domain: "PPM", code: 1, userInfo: [NSLocalizedDescriptionKey: "not an 8-bit P6 PPM: \(fields)"])
    }
    return RGBImage(width: width, height: height, pixels: Array(bytes[index..<index + width * height * 3]))
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-eval-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
