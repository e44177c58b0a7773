import ArgumentParser
import VTokModel

/// `--model`, shared by the verbs that run the tokenizer.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A tokenizer weights file (.safetensors, as written by vtok train). Default: the model shipped with vtok.",
        valueName: "file"))
    var path: String?

    init() {}

    init(path: String?) { self.path = path }

    func resolvedPath() throws -> String {
        if let path { return path }
        do {
            return try ModelLocator.requireDefaultModelPath()
        } catch {
            throw CLIError(status: .modelMismatch,
                           message: "no model found: pass --model FILE, or set \(ModelLocator.environmentVariable). " + error.searched)
        }
    }

    func load() throws -> VTokCodec {
        let path = try resolvedPath()
        do {
            return try VTokCodec(contentsOf: path)
        } catch {
            throw CLIError(status: .modelMismatch, message: "cannot load model \(path): \(error)")
        }
    }
}
