import ArgumentParser

struct VTok: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "vtok: a discrete 1D image tokenizer codec.")
}
VTok.main()
