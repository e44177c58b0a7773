#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Paths as a model card records them: an absolute path becomes relative to the working directory,
/// so that a model file names no folder of the machine that made it.
public enum PortablePath {
    public static func relative(_ path: String, to directory: String = FileManager.default.currentDirectoryPath) -> String {
        guard path.hasPrefix("/") else { return path }
        let target = URL(fileURLWithPath: path).standardized.pathComponents.filter { $0 != "/" }
        let base = URL(fileURLWithPath: directory).standardized.pathComponents.filter { $0 != "/" }
        let common = zip(target, base).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Every word of `line` that is an absolute path (or `--option=/path`), made relative.
    public static func relativeWords(_ line: String) -> String {
        line.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            if word.hasPrefix("/") { return relative(String(word)) }
            if let equals = word.firstIndex(of: "="), word[word.index(after: equals)...].hasPrefix("/") {
                return word[...equals] + relative(String(word[word.index(after: equals)...]))
            }
            return String(word)
        }.joined(separator: " ")
    }
}
