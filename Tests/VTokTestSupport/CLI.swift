import Foundation
import XCTest

/// What the built `vtok` binary printed and returned.
public struct CLIResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs the built `vtok` binary the way a user would; shared by the end-to-end tests.
public enum CLI {
    /// The products directory holds both the test bundle and the `vtok` executable.
    public static var binary: URL {
        #if os(macOS)
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }!
        return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("vtok")
        #else
        return Bundle.main.bundleURL.appendingPathComponent("vtok")
        #endif
    }

    /// `environment` adds to (or overrides) the test's own environment.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the child runs: a full pipe would block it forever.
        let errorOutput = PipeReader(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errorOutput.wait(), as: UTF8.self))
    }

    /// A fresh directory for one test's files, removed when the test ends.
    public static func temporaryDirectory(for testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vtok-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Drains a pipe on its own thread.
private final class PipeReader: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread {
            self.data = handle.readDataToEndOfFile()
            self.finished.signal()
        }.start()
    }

    func wait() -> Data {
        finished.wait()
        return data
    }
}
