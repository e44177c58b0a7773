import Foundation
import VTokContainer
import VTokImage
import VTokModel
import VTokTestSupport
import XCTest

/// Issue 12: hostile files and careless arguments get a clear message and the documented exit
/// status, never a crash, a hang or unbounded memory. A small untrained model written by the test.
final class HostileInputTests: XCTestCase {
    private var directory: URL!
    private var modelPath: String!
    private var codec: VTokCodec!

    override func setUpWithError() throws {
        directory = try CLI.temporaryDirectory(for: self)
        modelPath = path("model.safetensors")
        try TinyModel.write(to: modelPath)
        codec = try VTokCodec(contentsOf: modelPath)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func writeImage(width: Int, height: Int, name: String, seed: Int = 0) throws -> String {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: (index * 7 + seed * 31) ^ (index / 5)) }
        let file = path(name)
        try ImageFile.writePNG(RGBImage(width: width, height: height, pixels: pixels), to: file)
        return file
    }

    private func run(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments) }

    private func assertFails(_ result: CLIResult, status: Int32, mentions words: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        assertFails(status: result.status, stderr: result.stderr, expected: status, mentions: words, file: file, line: line)
    }

    private func assertFails(_ result: CappedResult, status: Int32, mentions words: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        assertFails(status: result.status, stderr: result.stderr, expected: status, mentions: words, file: file, line: line)
    }

    private func assertFails(status actual: Int32, stderr: String, expected status: Int32, mentions words: [String],
                             file: StaticString, line: UInt) {
        let result = (status: actual, stderr: stderr)
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        for word in words { XCTAssert(result.stderr.contains(word), "'\(word)' not in: \(result.stderr)", file: file, line: line) }
        XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Stack dump"), result.stderr,
                       file: file, line: line)
    }

    // MARK: 1, 5: --max-pixels

    func testMaxPixelsZeroOrNegativeIsAUsageError() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        for value in ["0", "-1"] {
            let result = try run(["encode", image, "--model", modelPath, "--max-pixels", value, "-o", path("x.vtok")])
            assertFails(result, status: 1, mentions: ["--max-pixels"])
        }
        let equals = try run(["encode", image, "--model", modelPath, "--max-pixels=-1", "-o", path("x.vtok")])
        assertFails(equals, status: 1, mentions: ["--max-pixels"])
        let decode = try run(["decode", path("x.vtok"), "--model", modelPath, "--max-pixels", "0", "-o", path("x.png")])
        assertFails(decode, status: 1, mentions: ["--max-pixels"])
    }

    func testAnImageOverMaxPixelsNamesTheFlag() throws {
        let image = try writeImage(width: 40, height: 30, name: "a.png")
        let result = try run(["encode", image, "--model", modelPath, "--max-pixels", "1000", "-o", path("x.vtok")])
        assertFails(result, status: 2, mentions: ["--max-pixels 1200", "a.png"])
        XCTAssertFalse(result.stderr.contains("ImageLimits"), result.stderr)
    }

    // MARK: 2: decoding under a budget

    private func hostileFile(width: Int, height: Int, tiles: TileLayout, tokens: Int = 0,
                             format: FileFormat = .version1) throws -> String {
        let tileCount = tiles.tileCount(width: width, height: height)
        let file = VTokFile(width: width, height: height, tiles: tiles, layout: codec.layout, modelID: codec.modelID,
                            tokens: [[UInt32]](repeating: [UInt32](repeating: 1, count: tokens), count: tileCount))
        let name = path("hostile-\(width)x\(height)-\(tiles)-\(format).vtok")
        try Data(try codec.fileBytes(file, format: format)).write(to: URL(fileURLWithPath: name))
        return name
    }

    /// A valid 65535x65535 header: refused before anything is allocated, fast, with status 2, also
    /// under an address-space cap far below what decoding it would take (51 GB).
    func testAHugeDeclaredImageIsRefusedBeforeAllocating() throws {
        for tiles in [TileLayout.single, .tiled(side: 256)] {
          for format in [FileFormat.version1, .version2(.raw)] {
            let hostile = try hostileFile(width: 65535, height: 65535, tiles: tiles, format: format)
            let start = Date()
            let result = try run(["decode", hostile, "--model", modelPath, "-o", path("out.png")])
            assertFails(result, status: 2, mentions: ["--max-pixels", "65535"])
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(tiles)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")))

            XCTAssertThrowsError(try codec.decode(try codec.read(try bytes(hostile)).file)) { error in
                guard case ImageError.tooLarge = error else { return XCTFail("\(error)") }
            }
          }
        }
        let capped = try runUnderAddressSpaceCap(gigabytes: 2, ["decode", try hostileFile(width: 65535, height: 65535, tiles: .single),
                                                                  "--model", modelPath, "-o", path("out.png")])
        assertFails(capped, status: 2, mentions: ["--max-pixels"])
    }

    /// Decoding raw token lists (the C API's and detokenize's path) has the same limit as files.
    func testDecodingTokenListsToAHugeSizeIsRefusedBeforeAllocating() throws {
        let start = Date()
        XCTAssertThrowsError(try codec.images(tokens: [[1, 2, 3]], width: 65535, height: 65535)) { error in
            guard case ImageError.tooLarge = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try codec.images(tokens: [[1]], width: 0, height: 10))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(try codec.images(tokens: [[1, 2, 3]], width: 30, height: 20).first?.width, 30)
    }

    /// The limit counts a tiled file's whole grid of tiles (tiles x tile area), not its width x height.
    func testATiledFileIsLimitedByItsTileGrid() throws {
        // 65x65 pixels = 4225, but 2x2 tiles of 64x64 = 16384 pixels to decode.
        let tiled = try hostileFile(width: 65, height: 65, tiles: .tiled(side: 64), tokens: 3)
        let refused = try run(["decode", tiled, "--model", modelPath, "--max-pixels", "10000", "-o", path("t.png")])
        assertFails(refused, status: 2, mentions: ["--max-pixels", "128x128"])
        let accepted = try run(["decode", tiled, "--model", modelPath, "--max-pixels", "16384", "-o", path("t.png")])
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        let file = try codec.read(try bytes(tiled)).file
        XCTAssertThrowsError(try codec.decode(file, limits: ImageLimits(maxPixels: 16383)))
        XCTAssertEqual(try codec.decode(file, limits: ImageLimits(maxPixels: 16384)).width, 65)
    }

    /// The README's bound: a decode at the limit stays within 16 bytes per pixel plus the process's
    /// base (the model, the runtime). Run under `prlimit --as` sized from that bound.
    func testADecodeAtTheLimitFitsTheStatedMemoryBound() throws {
        let side = 2048
        let file = try hostileFile(width: side, height: side, tiles: .single, tokens: 12)
        let base = try runUnderAddressSpaceCap(gigabytes: 1.0, ["decode", try hostileFile(width: 8, height: 8, tiles: .single, tokens: 12),
                                                                "--model", modelPath, "-o", path("small.png")])
        XCTAssertEqual(base.status, 0, base.stderr)
        let bound = 1.0 + Double(16 * side * side) / Double(1 << 30)
        let result = try runUnderAddressSpaceCap(gigabytes: bound, ["decode", file, "--model", modelPath, "-o", path("big.png")])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    private func bytes(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) }

    /// The built binary under `prlimit --as` (address space), so that an allocation over the cap fails.
    private struct CappedResult { let status: Int32; let stderr: String }

    private func runUnderAddressSpaceCap(gigabytes: Double, _ arguments: [String]) throws -> CappedResult {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else { throw XCTSkip("no prlimit") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--as=\(Int(gigabytes * Double(1 << 30)))", CLI.binary.path] + arguments
        // OpenBLAS reserves address space per thread; one thread keeps the base small and fixed.
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CappedResult(status: process.terminationStatus, stderr: String(decoding: errData, as: UTF8.self))
    }

    // MARK: 4: rate arguments

    func testTargetPSNRMustBeAPositiveNumber() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        for value in ["nan", "inf", "-3", "0"] {
            let result = try run(["encode", image, "--model", modelPath, "--target-psnr", value, "-o", path("x.vtok")])
            assertFails(result, status: 1, mentions: ["--target-psnr"])
        }
    }

    func testAByteBudgetWithRoomForNoTokensIsRefusedNamingTheMinimum() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        XCTAssertEqual(try run(["encode", image, "--model", modelPath, "-o", path("all.vtok")]).status, 0)
        let sizes = try codec.fileSizes(try codec.read(try bytes(path("all.vtok"))).file)
        let result = try run(["encode", image, "--model", modelPath, "--max-bytes", "\(sizes[1] - 1)", "-o", path("x.vtok")])
        assertFails(result, status: 1, mentions: ["--max-bytes", "\(sizes[1]) bytes"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.vtok")))
        XCTAssertEqual(try run(["encode", image, "--model", modelPath, "--max-bytes", "\(sizes[1])", "-o", path("x.vtok")]).status, 0)

        // 5x4 = 20 tiles of 64 px: one 10-bit token a tile needs 25 payload bytes after a 14-byte header.
        let photo = try writeImage(width: 300, height: 250, name: "big.png")
        let tiled = try run(["encode", photo, "--model", modelPath, "--tiles", "--max-bytes", "30", "-o", path("t.vtok")])
        assertFails(tiled, status: 1, mentions: ["20 tiles", "per tile"])
    }

    // MARK: 5: messages

    func testNegativeTokensSaysWhatIsWrong() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        let encode = try run(["encode", image, "--model", modelPath, "--tokens", "-5", "-o", path("x.vtok")])
        assertFails(encode, status: 1, mentions: ["--tokens must be 0 or more"])
        XCTAssertFalse(encode.stderr.contains("Missing value"), encode.stderr)
        XCTAssertEqual(try run(["encode", image, "--model", modelPath, "-o", path("x.vtok")]).status, 0)
        let decode = try run(["decode", path("x.vtok"), "--model", modelPath, "--tokens", "-5", "-o", path("x.png")])
        assertFails(decode, status: 1, mentions: ["--tokens must be 0 or more"])
    }

    func testAnUnwritableOutputNamesTheMissingDirectory() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        let result = try run(["encode", image, "--model", modelPath, "-o", "/nonexistent/dir/x.vtok"])
        assertFails(result, status: 3, mentions: ["/nonexistent/dir/x.vtok", "directory /nonexistent/dir does not exist"])
    }

    // MARK: 7: output names

    func testDecodeWritesTheFormatItsNameSays() throws {
        let image = try writeImage(width: 20, height: 10, name: "a.png")
        XCTAssertEqual(try run(["encode", image, "--model", modelPath, "-o", path("x.vtok")]).status, 0)
        XCTAssertEqual(try run(["decode", path("x.vtok"), "--model", modelPath, "-o", path("out.jpg")]).status, 0)
        XCTAssertEqual(ImageFormat.sniff(try bytes(path("out.jpg"))), .jpeg)
        XCTAssertEqual(try ImageFile.load(path: path("out.jpg")).width, 20)
        XCTAssertEqual(try run(["decode", path("x.vtok"), "--model", modelPath, "-o", path("out.png")]).status, 0)
        XCTAssertEqual(ImageFormat.sniff(try bytes(path("out.png"))), .png)
        let other = try run(["decode", path("x.vtok"), "--model", modelPath, "-o", path("out.webp")])
        assertFails(other, status: 1, mentions: ["out.webp", ".png"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.webp")))
    }

    func testSeveralInputsToOneFileNameIsRefused() throws {
        let a = try writeImage(width: 20, height: 10, name: "a.png")
        let b = try writeImage(width: 20, height: 10, name: "b.png")
        let result = try run(["encode", a, b, "--model", modelPath, "-o", path("single.vtok")])
        assertFails(result, status: 1, mentions: ["single.vtok", "directory"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("single.vtok")))
        // An existing directory with such a name is still a directory.
        try FileManager.default.createDirectory(atPath: path("dir.vtok"), withIntermediateDirectories: true)
        XCTAssertEqual(try run(["encode", a, b, "--model", modelPath, "-o", path("dir.vtok")]).status, 0)
    }

    // MARK: 3: compare on tiny images

    func testCompareOnTinyImages() throws {
        let one = try writeImage(width: 1, height: 1, name: "one.png")
        let same = try run(["compare", one, one, "--json"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let scores = try JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(scores["ssim"] as? Double, 1)
        XCTAssertEqual(scores["ms_ssim"] as? Double, 1)
        XCTAssert(same.stderr.contains("warning") && same.stderr.contains("window"), same.stderr)

        let small = try writeImage(width: 9, height: 7, name: "s1.png", seed: 1)
        let other = try writeImage(width: 9, height: 7, name: "s2.png", seed: 2)
        let differ = try run(["compare", small, other, "--json"])
        let values = try JSONSerialization.jsonObject(with: Data(differ.stdout.utf8)) as! [String: Any]
        let ssim = try XCTUnwrap(values["ssim"] as? Double)
        XCTAssert(ssim > -1 && ssim < 1, "\(ssim)")
        XCTAssertEqual(values["ssim_window"] as? Int, 7)
    }

    // MARK: 10: bench and report inputs

    func testBenchCodecRunsOutsideTheRepositoryAndNamesAMissingFolder() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["bench", "codec", "--model", modelPath, "--repetitions", "1", "--limit", "1"]
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssert(text.contains("images/s"), text)

        let missing = try run(["bench", "codec", "--model", modelPath, "--images", "/nonexistent"])
        assertFails(missing, status: 2, mentions: ["/nonexistent", "no such directory"])
        let report = try run(["report", "--images", "/nonexistent", "--out", path("r"), "--codecs", "jpeg"])
        assertFails(report, status: 2, mentions: ["/nonexistent", "no such directory"])
    }

    func testBenchTokenizeReportsBothPassSizesAgainstSGEMM() throws {
        let result = try run(["bench", "tokenize", "--model", modelPath, "--limit", "3", "--rounds", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let values = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(values["images"] as? Int, 3)
        XCTAssertGreaterThan(try XCTUnwrap(values["sgemm_gflops"] as? Double), 0)
        let passes = try XCTUnwrap(values["passes"] as? [[String: Any]])
        XCTAssertEqual(passes.map { $0["images_per_pass"] as? Int }, [16, 1])
        for pass in passes {
            let gflops = try XCTUnwrap(pass["gflops"] as? Double), fraction = try XCTUnwrap(pass["fraction_of_sgemm"] as? Double)
            XCTAssertEqual(fraction, gflops / (values["sgemm_gflops"] as! Double), accuracy: 1e-9)
        }
        assertFails(try run(["bench", "tokenize", "--model", modelPath, "--limit", "0"]), status: 1, mentions: ["--limit"])
    }

    // MARK: Parallel work

    /// A directory of images encoded by several workers gives the same bytes as one at a time.
    func testParallelEncodingIsByteIdenticalToSequential() throws {
        let inputs = path("inputs")
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        for index in 0..<20 {
            _ = try writeImage(width: 30 + index * 3, height: 20 + (index * 7) % 50, name: "inputs/img\(index).png", seed: index)
        }
        for tiles in [false, true] {
            let flags = tiles ? ["--tiles"] : []
            let one = try run(["encode", inputs, "--model", modelPath, "--jobs", "1", "-o", path("one")] + flags)
            XCTAssertEqual(one.status, 0, one.stderr)
            let many = try run(["encode", inputs, "--model", modelPath, "--jobs", "4", "-o", path("many")] + flags)
            XCTAssertEqual(many.status, 0, many.stderr)
            let names = try FileManager.default.contentsOfDirectory(atPath: path("one")).sorted()
            XCTAssertEqual(names.count, 20)
            XCTAssertEqual(names, try FileManager.default.contentsOfDirectory(atPath: path("many")).sorted())
            for name in names {
                XCTAssertEqual(try bytes(path("one/" + name)), try bytes(path("many/" + name)), name)
            }
        }
        assertFails(try run(["encode", inputs, "--model", modelPath, "--jobs", "0", "-o", path("z")]), status: 1, mentions: ["--jobs"])
    }
}
