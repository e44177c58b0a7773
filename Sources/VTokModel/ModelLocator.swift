#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Where `vtok` finds its model when no `--model` is given, in order:
/// 1. the `VTOK_MODEL` environment variable (a weights file path);
/// 2. `vtok_VTokModel.resources/default-model.safetensors` beside the executable (where SwiftPM
///    puts the package's resource: works for `swift build` and `swift run` outputs);
/// 3. `default-model.safetensors` beside the executable (a copied binary with its model);
/// 4. `../share/vtok/default-model.safetensors` relative to the executable (an installed layout).
public enum ModelLocator {
    public static let fileName = "default-model.safetensors"
    public static let environmentVariable = "VTOK_MODEL"

    public static func candidatePaths(executablePath: String = CommandLine.arguments[0]) -> [String] {
        var paths: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            paths.append(fromEnvironment)
        }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        let directory = executable.deletingLastPathComponent()
        paths.append(directory.appendingPathComponent("vtok_VTokModel.resources").appendingPathComponent(fileName).path)
        paths.append(directory.appendingPathComponent(fileName).path)
        paths.append(directory.deletingLastPathComponent().appendingPathComponent("share/vtok").appendingPathComponent(fileName).path)
        return paths
    }

    /// The first candidate that exists, or nil.
    public static func defaultModelPath(executablePath: String = CommandLine.arguments[0]) -> String? {
        candidatePaths(executablePath: executablePath).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The first candidate that exists; the error names every place looked in.
    public static func requireDefaultModelPath() throws(ModelNotFound) -> String {
        guard let path = defaultModelPath() else { throw ModelNotFound(candidates: candidatePaths()) }
        return path
    }
}

/// No model file was named and no default model was found where `ModelLocator` looks.
public struct ModelNotFound: Error, CustomStringConvertible {
    public let candidates: [String]

    /// Where it looked, one path a line: what a caller's own message ends with.
    public var searched: String { "Looked in:\n  " + candidates.joined(separator: "\n  ") }

    public var description: String {
        "no default model found (set \(ModelLocator.environmentVariable) to a weights file). " + searched
    }
}
