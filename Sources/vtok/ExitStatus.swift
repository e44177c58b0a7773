import ArgumentParser
import Foundation
import VTokImage

/// The exit statuses every vtok verb uses (documented in `vtok --help` and the README).
enum ExitStatus: Int32 {
    /// Success, possibly with warnings on stderr (a truncated file that decoded to its prefix).
    case success = 0
    /// The command line is wrong: unknown flag, missing argument, conflicting options.
    case usage = 1
    /// An input file is unreadable, corrupt, unsupported or too large.
    case badInput = 2
    /// An output could not be written.
    case outputFailed = 3
    /// The model is missing, malformed, or not the one a file was encoded with.
    case modelMismatch = 4
}

/// An error a verb reports to the user: one line on stderr, then the exit status.
struct CLIError: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String
    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(status: .usage, message: message) }
    static func badInput(_ message: String) -> CLIError { CLIError(status: .badInput, message: message) }
    static func outputFailed(_ message: String) -> CLIError { CLIError(status: .outputFailed, message: message) }
}

/// Prints a warning on stderr; warnings never change the exit status.
func warn(_ message: String) {
    writeStderr("vtok: warning: \(message)\n")
}

func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Parses and runs the command line, mapping every failure to one of `ExitStatus`.
func runMappingExitStatus(_ root: ParsableCommand.Type) -> Never {
    do {
        var command = try root.parseAsRoot()
        try command.run()
        Foundation.exit(ExitStatus.success.rawValue)
    } catch let error as CLIError {
        writeStderr("vtok: error: \(error.message)\n")
        Foundation.exit(error.status.rawValue)
    } catch {
        // Help and version requests arrive here as "errors" whose exit code is success;
        // ArgumentParser's own parse and validation errors carry EX_USAGE.
        let code = root.exitCode(for: error)
        if code == .success {
            print(root.fullMessage(for: error))
            Foundation.exit(ExitStatus.success.rawValue)
        }
        if code == .validationFailure {
            writeStderr(root.fullMessage(for: error) + "\n")
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        // Anything else a library threw is about the input it was given (ImageError, VTokError).
        writeStderr("vtok: error: \(error)\n")
        Foundation.exit(ExitStatus.badInput.rawValue)
    }
}

/// `--max-pixels`, shared by encode and decode: a positive pixel count.
func validatePixelLimit(_ maxPixels: Int) throws {
    guard maxPixels > 0 else {
        throw ValidationError("--max-pixels must be a positive number of pixels, got \(maxPixels)")
    }
}

/// `--jobs`: a positive worker count when given.
func validateJobs(_ jobs: Int?) throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more, got \(jobs)") }
}

extension CLIError {
    /// Runs `body`, turning an image over the pixel limit into a message that names `--max-pixels`
    /// (the library's own message names its Swift API).
    static func withPixelLimit<T>(input: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let ImageError.tooLarge(width, height, maxPixels) {
            throw CLIError.badInput("\(input): \(width)x\(height) = \(width * height) pixels, over the --max-pixels "
                                    + "limit of \(maxPixels); pass --max-pixels \(width * height) or more to accept it")
        }
    }
}
