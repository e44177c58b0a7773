import Foundation
import VTokImage

/// A codec only available as command-line tools (AVIF through libavif's avifenc/avifdec, JPEG XL through
/// libjxl's cjxl/djxl), run as subprocesses on temporary PNG files. Its times include starting the
/// processes and the PNG files the tools read and write, so they overstate the codec's own cost.
public struct CommandLineCodec: QualitySweepCodec {
    public enum Format: String, Sendable, CaseIterable {
        case avif, jpegXL

        var encoderTool: String { self == .avif ? "avifenc" : "cjxl" }
        var decoderTool: String { self == .avif ? "avifdec" : "djxl" }
        var fileExtension: String { self == .avif ? "avif" : "jxl" }
    }

    public let format: Format
    public let qualities: [Int]
    let encoderPath: String
    let decoderPath: String

    /// Nil when either tool is not on the PATH.
    public init?(_ format: Format, qualities: [Int]? = nil) {
        guard let encoderPath = findExecutable(format.encoderTool),
              let decoderPath = findExecutable(format.decoderTool) else { return nil }
        self.format = format
        self.encoderPath = encoderPath
        self.decoderPath = decoderPath
        // cjxl 0.7 refuses qualities below 5, which map beyond its largest distance (25).
        self.qualities = qualities ?? (format == .avif
            ? [63, 60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20]
            : [5, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    }

    public var name: String { format == .avif ? "AVIF" : "JPEG XL" }
    public var family: String { name }
    public var settingName: String { format == .avif ? "quantizer" : "q" }
    public var description: String {
        let sweep = qualities.map(String.init).joined(separator: ",")
        return switch format {
        case .avif: "avifenc (libavif) speed 6, 4:2:0, --min/--max quantizer \(sweep), decoded with avifdec"
        case .jpegXL: "cjxl (libjxl) effort 7, quality \(sweep), decoded with djxl"
        }
    }

    func encoderArguments(quality: Int, input: String, output: String) -> [String] {
        switch format {
        case .avif: ["--speed", "6", "--yuv", "420", "--min", "\(quality)", "--max", "\(quality)", input, output]
        case .jpegXL: ["--quality=\(quality)", "--effort=7", input, output]
        }
    }

    public func encode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("input.png")
            let output = directory.appendingPathComponent("encoded.\(format.fileExtension)")
            try Data(PNGCodec.encode(image)).write(to: input)
            try runTool(encoderPath, encoderArguments(quality: quality, input: input.path, output: output.path))
            return try [UInt8](Data(contentsOf: output))
        }
    }

    public func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("encoded.\(format.fileExtension)")
            let output = directory.appendingPathComponent("decoded.png")
            try Data(bytes).write(to: input)
            try runTool(decoderPath, [input.path, output.path])
            return try PNGCodec.decode([UInt8](Data(contentsOf: output)))
        }
    }
}

func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":")
        .map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a tool to completion, throwing with its stderr if it fails.
func runTool(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let errorOutput = errorPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let message = String(decoding: errorOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        throw CodecError("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(message)")
    }
}

func withTemporaryDirectory<Result>(_ work: (URL) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try work(directory)
}
