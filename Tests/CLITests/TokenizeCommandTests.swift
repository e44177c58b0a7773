import Foundation
import VTokContainer
import VTokEval
import VTokImage
import VTokModel
import VTokTestSupport
import XCTest

/// `vtok tokenize` and `vtok detokenize` through the built binary, with a small untrained model
/// written by the test: shards, manifest, resume, dtypes, and the way back to PNGs.
final class TokenizeCommandTests: XCTestCase {
    private var directory: URL!
    private var modelPath: String!

    override func setUpWithError() throws {
        directory = try CLI.temporaryDirectory(for: self)
        modelPath = try writeModel(name: "model.safetensors", groups: 2, bitsPerGroup: 5)
    }

    private func writeModel(name: String, groups: Int, bitsPerGroup: Int) throws -> String {
        let file = path(name)
        try TinyModel.write(to: file, groups: groups, bitsPerGroup: bitsPerGroup)
        return file
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func image(width: Int, height: Int, seed: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels[(y * width + x) * 3] = UInt8((x * 255 / max(width - 1, 1) + seed * 50) % 256)
                pixels[(y * width + x) * 3 + 1] = UInt8(y * 255 / max(height - 1, 1))
                pixels[(y * width + x) * 3 + 2] = UInt8((x * y + seed * 31) % 256)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// images/a.png, images/b.png, images/sub/c.png, images/sub/deeper/d.png, images/sub/e.png,
    /// and images/sub/broken.png, which is not an image.
    private func writeTree() throws -> (folder: String, images: [String: RGBImage]) {
        let folder = path("images")
        try FileManager.default.createDirectory(atPath: folder + "/sub/deeper", withIntermediateDirectories: true)
        let sizes = ["a.png": (40, 30), "b.png": (64, 64), "sub/c.png": (100, 20), "sub/deeper/d.png": (7, 9), "sub/e.png": (65, 33)]
        var images: [String: RGBImage] = [:]
        for (seed, (name, size)) in sizes.sorted(by: { $0.key < $1.key }).enumerated() {
            images[name] = image(width: size.0, height: size.1, seed: seed)
            try ImageFile.writePNG(images[name]!, to: folder + "/" + name)
        }
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: folder + "/sub/broken.png"))
        return (folder, images)
    }

    private func manifest(_ folder: String) throws -> [ManifestEntry] {
        try ManifestEntry.parseLines(String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8))
    }

    private func npy(_ file: String) throws -> (header: String, rows: [[UInt32]]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + length) % 64, 0, "data aligned as numpy writes it")
        return (String(decoding: bytes[10..<10 + length], as: UTF8.self), try NPY.decode(bytes))
    }

    func testShardsManifestAndTokensMatchTheCodec() throws {
        let (folder, images) = try writeTree()
        let out = path("tokens")
        let result = try CLI.run(["tokenize", folder, "--out", out, "--model", modelPath, "--shard-size", "2", "--batch-size", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("tokenized 5 images into 3 shards"), result.stderr)
        XCTAssertTrue(result.stderr.contains("images/s"), result.stderr)
        XCTAssertTrue(result.stderr.contains("broken.png"), "the unreadable file is named: \(result.stderr)")

        let entries = try manifest(out)
        XCTAssertEqual(entries.map(\.file), ["a.png", "b.png", "sub/broken.png", "sub/c.png", "sub/deeper/d.png", "sub/e.png"])
        XCTAssertNotNil(entries[2].error)
        XCTAssertNil(entries[2].shard)
        let codec = try VTokCodec(contentsOf: modelPath)
        for entry in entries where entry.error == nil {
            let original = try XCTUnwrap(images[entry.file])
            XCTAssertEqual([entry.width, entry.height], [original.width, original.height], entry.file)
            let (header, rows) = try npy(out + "/" + entry.shard!)
            XCTAssertTrue(header.contains("'descr': '<u2'") && header.hasSuffix("\n"), header)
            XCTAssertEqual(rows[entry.row!], codec.encode(original).tokens[0], entry.file)
        }
        XCTAssertEqual(try npy(out + "/shard-00001.npy").header.contains("'shape': (1, 12)"), true, "b, broken: one row")
    }

    func testResumeSkipsFinishedShardsAndRefusesOtherSettings() throws {
        let (folder, _) = try writeTree()
        let out = path("tokens")
        XCTAssertEqual(try CLI.run(["tokenize", folder, "--out", out, "--model", modelPath, "--shard-size", "2"]).status, 0)
        let first = try FileManager.default.attributesOfItem(atPath: out + "/shard-00000.npy")[.modificationDate] as? Date
        let complete = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.jsonl"))
        let lastShard = try Data(contentsOf: URL(fileURLWithPath: out + "/shard-00002.npy"))
        // As if killed while writing the last shard: its array never got its name.
        try FileManager.default.removeItem(atPath: out + "/shard-00002.npy")
        try FileManager.default.removeItem(atPath: out + "/manifest.jsonl")
        Thread.sleep(forTimeInterval: 0.05)
        let resumed = try CLI.run(["tokenize", folder, "--out", out, "--model", modelPath, "--shard-size", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("2 finished shards kept"), resumed.stderr)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: out + "/shard-00000.npy")[.modificationDate] as? Date, first)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.jsonl")), complete)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/shard-00002.npy")), lastShard)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp") }, [])

        let other = try CLI.run(["tokenize", folder, "--out", out, "--model", modelPath, "--shard-size", "3"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("holds shards of another run"), other.stderr)
    }

    func testTokenPrefixAndSmallestDtype() throws {
        let (folder, _) = try writeTree()
        let all = path("all"), four = path("four")
        XCTAssertEqual(try CLI.run(["tokenize", folder, "--out", all, "--model", modelPath]).status, 0)
        XCTAssertEqual(try CLI.run(["tokenize", folder, "--out", four, "--model", modelPath, "--tokens", "4"]).status, 0)
        let full = try npy(all + "/shard-00000.npy").rows, prefix = try npy(four + "/shard-00000.npy")
        XCTAssertTrue(prefix.header.contains("'shape': (5, 4)"), prefix.header)
        XCTAssertEqual(prefix.rows, full.map { Array($0.prefix(4)) })
        let tooMany = try CLI.run(["tokenize", folder, "--out", path("x"), "--model", modelPath, "--tokens", "13"])
        XCTAssertEqual(tooMany.status, 1)
        XCTAssertTrue(tooMany.stderr.contains("1...12"), tooMany.stderr)

        // 8-bit ids fit in uint8.
        let small = try writeModel(name: "small.safetensors", groups: 2, bitsPerGroup: 4)
        XCTAssertEqual(try CLI.run(["tokenize", folder, "--out", path("u8"), "--model", small]).status, 0)
        XCTAssertTrue(try npy(path("u8") + "/shard-00000.npy").header.contains("'descr': '|u1'"))
    }

    func testDetokenizeRestoresNamesAndSizes() throws {
        let (folder, images) = try writeTree()
        let out = path("tokens"), decoded = path("decoded")
        XCTAssertEqual(try CLI.run(["tokenize", folder, "--out", out, "--model", modelPath, "--shard-size", "3"]).status, 0)
        let result = try CLI.run(["detokenize", out + "/shard-00000.npy", out + "/shard-00001.npy", "--out", decoded, "--model", modelPath])
        XCTAssertEqual(result.status, 0, result.stderr)
        let codec = try VTokCodec(contentsOf: modelPath)
        for (name, original) in images {
            let picture = try ImageFile.load(path: decoded + "/" + name)
            XCTAssertEqual([picture.width, picture.height], [original.width, original.height], name)
            // As `vtok decode` of the image's K-token file, up to float rounding in the batch.
            let reference = try codec.decode(codec.encode(original))
            let worst = zip(picture.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max()!
            XCTAssertLessThanOrEqual(worst, 1, name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: decoded + "/sub/broken.png"))
    }

    func testDetokenizeAnyIntegerArrayWithoutManifest() throws {
        // int64, shape (2, 5): as numpy.save writes what a generative model sampled.
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 5), }"
        header += String(repeating: " ", count: 63 - (10 + header.count) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + Array(header.utf8)
        for id in [1, 2, 3, 4, 5, 1000, 0, 7, 9, 1023] as [Int64] {
            bytes += withUnsafeBytes(of: id.littleEndian, Array.init)
        }
        let samples = path("samples.npy")
        try Data(bytes).write(to: URL(fileURLWithPath: samples))
        let result = try CLI.run(["detokenize", samples, "--out", path("out"), "--model", modelPath, "--size", "40x30"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for row in 0..<2 {
            let picture = try ImageFile.load(path: path("out/samples-0000\(row).png"))
            XCTAssertEqual([picture.width, picture.height], [40, 30])
        }

        bytes[bytes.count - 8] = 0xFF  // 1023 -> 1279: above the model's 10 bits
        bytes[bytes.count - 7] = 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: samples))
        let tooLarge = try CLI.run(["detokenize", samples, "--out", path("out"), "--model", modelPath])
        XCTAssertEqual(tooLarge.status, 2)
        XCTAssertTrue(tooLarge.stderr.contains("not below 2^10"), tooLarge.stderr)

        // Parquet shards are vtok.ray's: the message says how to decode them.
        let parquet = try CLI.run(["detokenize", path("shard-00000.parquet"), "--out", path("out"), "--model", modelPath])
        XCTAssertEqual(parquet.status, 2)
        XCTAssertTrue(parquet.stderr.contains("vtok.ray.detokenize"), parquet.stderr)

        try Data("garbage".utf8).write(to: URL(fileURLWithPath: samples))
        let garbage = try CLI.run(["detokenize", samples, "--out", path("out"), "--model", modelPath])
        XCTAssertEqual(garbage.status, 2)
        XCTAssertTrue(garbage.stderr.contains("not a readable .npy file"), garbage.stderr)
    }
}
