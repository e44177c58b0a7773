import ArgumentParser
import VTokNN

struct VTok: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtok",
        abstract: "A discrete image tokenizer codec: images to short 1D token sequences, and back.",
        discussion: """
        A .vtok file holds an image as a sequence of discrete tokens ordered coarse to fine. Any prefix of the sequence decodes, so cutting the file (vtok truncate, or even head -c) trades quality for bytes.

        Exit statuses:
          0  success (warnings, such as a cut file decoded to its prefix, go to stderr)
          1  usage error: unknown option, missing or conflicting arguments
          2  bad input: an input file is unreadable, corrupt, unsupported or too large
          3  an output could not be written
          4  model problem: missing, malformed, or not the model a file was encoded with
        """,
        version: "0.2.0",
        subcommands: [Encode.self, Decode.self, Truncate.self, Info.self, Tokens.self, Tokenize.self, Detokenize.self, Compare.self, Train.self, Residuals.self, JoinLayers.self, Prior.self, Report.self, Bench.self, Samples.self])
}

// Debian's OpenBLAS misdetects some CPUs and falls back to kernels 5x slower; the fix must be in
// the environment before the library loads, so this may re-execute the process once.
BLASRuntime.ensureOptimizedKernels()
runMappingExitStatus(VTok.self)
