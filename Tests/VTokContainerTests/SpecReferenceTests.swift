import Foundation
import XCTest

/// Every "§N" or "§N.M" that a source comment cites is a section of spec/vtok.md, so that a reader
/// who follows one lands where the comment meant.
final class SpecReferenceTests: XCTestCase {
    func testEverySectionTheSourcesCiteExists() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try String(contentsOf: repository.appendingPathComponent("spec/vtok.md"), encoding: .utf8)
        let heading = try NSRegularExpression(pattern: "^#+ ([0-9]+(?:\\.[0-9]+)*)[. ]", options: .anchorsMatchLines)
        let sections = Set(heading.matches(in: spec, range: NSRange(spec.startIndex..., in: spec)).map {
            String(spec[Range($0.range(at: 1), in: spec)!])
        })
        XCTAssertTrue(sections.isSuperset(of: ["3", "15.1.2", "18"]), "\(sections.sorted())")
        let citation = try NSRegularExpression(pattern: "§([0-9]+(?:\\.[0-9]+)*)")
        var cited = 0
        for folder in ["Sources", "fuzz"] {
            let enumerator = FileManager.default.enumerator(at: repository.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard ["swift", "c", "h"].contains(url.pathExtension) else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                for match in citation.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let section = String(text[Range(match.range(at: 1), in: text)!])
                    XCTAssertTrue(sections.contains(section), "\(url.lastPathComponent) cites §\(section), which spec/vtok.md does not have")
                    cited += 1
                }
            }
        }
        XCTAssertGreaterThan(cited, 10)
    }
}
