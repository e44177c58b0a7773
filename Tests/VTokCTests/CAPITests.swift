import Dispatch
import Foundation
import VTokC
import VTokCAPI
import XCTest

/// The C API through its header's declarations (module VTokCAPI), as a C program calls it, with the
/// shipped model found beside the test binary as the library finds it beside itself.
final class CAPITests: XCTestCase {
    nonisolated(unsafe) private static let shared: OpaquePointer? = {
        var model: OpaquePointer?
        return vtk_model_load(nil, &model) == VTK_OK ? model : nil
    }()

    private func model() throws -> OpaquePointer {
        try XCTUnwrap(Self.shared, "the shipped model did not load: \(lastError())")
    }

    private func lastError() -> String { String(cString: vtk_last_error()) }

    /// The model shipped before the full-resolution one: it fits every image to its square, or tiles.
    private static let c2 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/c2.safetensors").path

    /// A width×height gradient with a few shapes, rows `stride` bytes apart (padding filled with 7s).
    private func picture(width: Int, height: Int, stride: Int, seed: Int = 0) -> [UInt8] {
        var pixels = [UInt8](repeating: 7, count: stride * height)
        for y in 0..<height {
            for x in 0..<width {
                let inside = (x - width / 3) * (x - width / 3) + (y - height / 2) * (y - height / 2) < width * height / 16
                pixels[y * stride + x * 3] = UInt8((x * 255 / width + seed * 40) % 256)
                pixels[y * stride + x * 3 + 1] = inside ? 220 : UInt8(y * 255 / height)
                pixels[y * stride + x * 3 + 2] = UInt8(((x + y) * 2 + seed * 70) % 256)
            }
        }
        return pixels
    }

    private func encode(_ model: OpaquePointer, _ pixels: [UInt8], _ width: Int, _ height: Int, _ stride: Int,
                        _ options: vtk_encode_options? = nil) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var opts = options ?? vtk_encode_options()
        if options == nil { vtk_encode_options_init(&opts) }
        let status = vtk_encode(model, pixels, Int32(width), Int32(height), Int32(stride), &opts, &out, &size)
        XCTAssertEqual(status, VTK_OK, lastError())
        defer { vtk_free(out) }
        return Array(UnsafeBufferPointer(start: try XCTUnwrap(out), count: size))
    }

    private func tokens(_ model: OpaquePointer, _ pixels: [UInt8], _ width: Int, _ height: Int, count: Int32) -> [UInt32] {
        var options = vtk_encode_options()
        vtk_encode_options_init(&options)
        options.tokens = count
        var ids: UnsafeMutablePointer<UInt32>?
        var tiles: Int32 = 0, kept: Int32 = 0
        XCTAssertEqual(vtk_encode_tokens(model, pixels, Int32(width), Int32(height), Int32(width * 3), &options, &ids, &tiles, &kept), VTK_OK, lastError())
        defer { vtk_free(ids) }
        XCTAssertEqual(tiles, 1)
        return Array(UnsafeBufferPointer(start: ids, count: Int(tiles * kept)))
    }

    func testVersionStatusMessagesAndDefaults() {
        XCTAssertEqual(vtk_version(), Int32(VTK_VERSION))
        XCTAssertEqual(String(cString: vtk_status_message(VTK_OK)), "success")
        XCTAssertEqual(String(cString: vtk_status_message(VTK_MODEL_MISMATCH)), "the data was encoded by another model")
        XCTAssertEqual(String(cString: vtk_status_message(vtk_status(rawValue: 99))), "unknown status")
        var options = vtk_encode_options(tokens: 5, max_bytes: 5, target_psnr: 5, tiled: 1)
        vtk_encode_options_init(&options)
        XCTAssertEqual(options.tokens, -1)
        XCTAssertEqual(options.max_bytes, 0)
        XCTAssertEqual(options.target_psnr, 0)
        XCTAssertEqual(options.tiled, 0)
        XCTAssertFalse(String(cString: vtk_blas_kernels()).isEmpty)
    }

    func testEncodeDecodeRoundTripWithStrideInfoAndPrefixes() throws {
        let model = try model()
        var info = vtk_model_info()
        XCTAssertEqual(vtk_model_get_info(model, &info), VTK_OK)
        XCTAssertEqual(info.resolution, 256)
        XCTAssertEqual(info.bits_per_token, info.groups * info.bits_per_group)
        let (width, height, stride) = (96, 72, 96 * 3 + 5)
        let pixels = picture(width: width, height: height, stride: stride)
        var options = vtk_encode_options()
        vtk_encode_options_init(&options)
        options.tokens = 32
        let data = try encode(model, pixels, width, height, stride, options)

        var fileInfo = vtk_file_info()
        XCTAssertEqual(vtk_get_info(model, data, data.count, &fileInfo), VTK_OK, lastError())
        XCTAssertEqual(fileInfo.width, 96)
        XCTAssertEqual(fileInfo.height, 72)
        XCTAssertEqual(fileInfo.tokens, 32)
        XCTAssertEqual(fileInfo.tiles, 1)
        XCTAssertEqual(fileInfo.matches_model, 1)
        XCTAssertEqual([fileInfo.model_id.0, fileInfo.model_id.1, fileInfo.model_id.2, fileInfo.model_id.3],
                       [info.model_id.0, info.model_id.1, info.model_id.2, info.model_id.3])

        var rgb: UnsafeMutablePointer<UInt8>?
        var w: Int32 = 0, h: Int32 = 0
        XCTAssertEqual(vtk_decode(model, data, data.count, &rgb, &w, &h), VTK_OK, lastError())
        XCTAssertEqual([w, h], [96, 72])
        let decoded = Array(UnsafeBufferPointer(start: rgb, count: Int(w * h * 3)))
        vtk_free(rgb)

        // The same image from the raw ids, and the first 32 of all the ids are the 32-token encoding.
        // The shipped model codes the image at its own size: 96x72 gets fewer tokens than 256x256.
        let all = tokens(model, picture(width: width, height: height, stride: width * 3), width, height, count: -1)
        var count: Int32 = 0
        XCTAssertEqual(vtk_model_token_count(model, 96, 72, &count), VTK_OK, lastError())
        XCTAssertEqual(all.count, Int(count))
        XCTAssertLessThan(count, info.max_tokens)
        let first = tokens(model, picture(width: width, height: height, stride: width * 3), width, height, count: 32)
        XCTAssertEqual(first, Array(all.prefix(32)))
        XCTAssertEqual(vtk_decode_tokens(model, first, 1, 32, 96, 72, 0, &rgb), VTK_OK, lastError())
        XCTAssertEqual(Array(UnsafeBufferPointer(start: rgb, count: decoded.count)), decoded)
        vtk_free(rgb)

        // A file cut inside its payload decodes to its prefix; info says so.
        let cut = Array(data.prefix(data.count - 10))
        XCTAssertEqual(vtk_get_info(model, cut, cut.count, &fileInfo), VTK_OK, lastError())
        XCTAssertLessThan(fileInfo.tokens, 32)
        XCTAssertEqual(fileInfo.declared_tokens, 32)
        XCTAssertEqual(vtk_decode(model, cut, cut.count, &rgb, &w, &h), VTK_OK, lastError())
        vtk_free(rgb)
    }

    func testByteBudgetTargetQualityAndTiles() throws {
        let model = try model()
        let pixels = picture(width: 300, height: 200, stride: 900)
        var options = vtk_encode_options()
        vtk_encode_options_init(&options)
        options.max_bytes = 120
        let budgeted = try encode(model, pixels, 300, 200, 900, options)
        XCTAssertLessThanOrEqual(budgeted.count, 120)
        XCTAssertGreaterThan(budgeted.count, 100)

        vtk_encode_options_init(&options)
        options.target_psnr = 15
        let targeted = try encode(model, pixels, 300, 200, 900, options)
        XCTAssertGreaterThan(targeted.count, 28)

        // The shipped model needs no tiles, and says so; a model that fits images to a square tiles.
        vtk_encode_options_init(&options)
        options.tiled = 1
        options.tokens = 8
        var ids: UnsafeMutablePointer<UInt32>?
        var tiles: Int32 = 0, kept: Int32 = 0
        XCTAssertEqual(vtk_encode_tokens(model, pixels, 300, 200, 900, &options, &ids, &tiles, &kept), VTK_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("codes the whole image at its own size"), lastError())
        var squareModel: OpaquePointer?
        XCTAssertEqual(vtk_model_load(Self.c2, &squareModel), VTK_OK, lastError())
        defer { vtk_model_free(squareModel) }
        let square = try XCTUnwrap(squareModel)
        XCTAssertEqual(vtk_encode_tokens(square, pixels, 300, 200, 900, &options, &ids, &tiles, &kept), VTK_OK, lastError())
        XCTAssertEqual([tiles, kept], [2, 8])
        var rgb: UnsafeMutablePointer<UInt8>?
        XCTAssertEqual(vtk_decode_tokens(square, ids, tiles, kept, 300, 200, 1, &rgb), VTK_OK, lastError())
        vtk_free(rgb)
        XCTAssertEqual(vtk_decode_tokens(square, ids, 1, kept, 300, 200, 1, &rgb), VTK_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("it needs 2 tiles"), lastError())
        vtk_free(ids)
    }

    func testBatchesMatchOneByOne() throws {
        let model = try model()
        let sizes = [(64, 64), (120, 80), (256, 256), (33, 200), (90, 90)]
        let images = sizes.enumerated().map { i, size in picture(width: size.0, height: size.1, stride: size.0 * 3, seed: i) }
        var ids: UnsafeMutablePointer<UInt32>?
        var kept: Int32 = 0
        let status = images.withUnsafeBufferPointers { pointers in
            vtk_encode_tokens_batch(model, Int32(images.count), pointers, sizes.map { Int32($0.0) }, sizes.map { Int32($0.1) },
                                    sizes.map { Int32($0.0 * 3) }, 16, &ids, &kept)
        }
        XCTAssertEqual(status, VTK_OK, lastError())
        XCTAssertEqual(kept, 16)
        let batch = Array(UnsafeBufferPointer(start: ids, count: images.count * 16))
        vtk_free(ids)
        // Tokens too, but for a value within rounding of a quantization boundary.
        var agreeing = 0
        for (i, size) in sizes.enumerated() {
            agreeing += zip(batch[i * 16..<(i + 1) * 16], tokens(model, images[i], size.0, size.1, count: 16)).filter { $0 == $1 }.count
        }
        XCTAssertGreaterThanOrEqual(Double(agreeing) / Double(batch.count), 0.98)

        var rgb: UnsafeMutablePointer<UInt8>?
        XCTAssertEqual(vtk_decode_tokens_batch(model, Int32(images.count), batch, 16, 40, 30, &rgb), VTK_OK, lastError())
        let decoded = Array(UnsafeBufferPointer(start: rgb, count: images.count * 40 * 30 * 3))
        vtk_free(rgb)
        for i in 0..<images.count {
            XCTAssertEqual(vtk_decode_tokens(model, Array(batch[i * 16..<(i + 1) * 16]), 1, 16, 40, 30, 0, &rgb), VTK_OK)
            let alone = Array(UnsafeBufferPointer(start: rgb, count: 3600)), together = Array(decoded[i * 3600..<(i + 1) * 3600])
            // Float sums differ a little with the batch: a pixel may move by 1.
            XCTAssertLessThanOrEqual(zip(alone, together).map { abs(Int($0) - Int($1)) }.max()!, 1, "image \(i)")
            vtk_free(rgb)
        }
    }

    func testErrorsHaveStatusesAndMessages() throws {
        let model = try model()
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        XCTAssertEqual(vtk_encode(nil, [0, 0, 0], 1, 1, 3, nil, &out, &size), VTK_INVALID_ARGUMENT)
        XCTAssertEqual(lastError(), "vtk_encode: model is NULL")
        XCTAssertEqual(vtk_encode(model, [0, 0, 0], 1, 1, 2, nil, &out, &size), VTK_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("stride 2"), lastError())
        var options = vtk_encode_options()
        vtk_encode_options_init(&options)
        options.tokens = 4
        options.max_bytes = 100
        XCTAssertEqual(vtk_encode(model, [0, 0, 0], 1, 1, 3, &options, &out, &size), VTK_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("at most one"), lastError())
        options.max_bytes = 0
        options.tokens = 100_000
        XCTAssertEqual(vtk_encode(model, [0, 0, 0], 1, 1, 3, &options, &out, &size), VTK_INVALID_ARGUMENT)

        let garbage: [UInt8] = Array("not a vtok file at all, but long enough".utf8)
        var w: Int32 = 0, h: Int32 = 0
        XCTAssertEqual(vtk_decode(model, garbage, garbage.count, &out, &w, &h), VTK_BAD_DATA)
        XCTAssertTrue(lastError().contains("not a .vtok file"), lastError())
        XCTAssertNil(out, "out-parameters stay untouched on failure")

        // Ids beyond the model's bits per token are refused, not wrapped.
        XCTAssertEqual(vtk_decode_tokens(model, [UInt32.max], 1, 1, 8, 8, 0, &out), VTK_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("not below 2^"), lastError())

        var missing: OpaquePointer?
        XCTAssertEqual(vtk_model_load("/nonexistent/model.safetensors", &missing), VTK_MODEL_NOT_FOUND)
        XCTAssertTrue(lastError().contains("/nonexistent/model.safetensors"), lastError())
        let notAModel = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-not-a-model-\(UUID())").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notAModel))
        defer { try? FileManager.default.removeItem(atPath: notAModel) }
        XCTAssertEqual(vtk_model_load(notAModel, &missing), VTK_MODEL_INVALID)
        XCTAssertNil(missing)
    }

    func testLastErrorIsPerThread() throws {
        let model = try model()
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        XCTAssertEqual(vtk_encode(model, nil, 1, 1, 3, nil, &out, &size), VTK_INVALID_ARGUMENT)
        // A thread of its own (DispatchQueue.sync may run on this one).
        let there = Results(count: 1)
        let done = DispatchSemaphore(value: 0)
        Thread {
            there.set(0, Array(String(cString: vtk_last_error()).utf8))
            done.signal()
        }.start()
        done.wait()
        XCTAssertEqual(there.get(0), [])
        XCTAssertEqual(lastError(), "vtk_encode: rgb is NULL")
    }

    /// Several threads encoding and decoding at once, on one shared model and on a model each: the
    /// same bytes as one thread alone.
    func testThreadsOnSharedAndOwnModels() throws {
        let shared = try model()
        let images = (0..<4).map { picture(width: 80, height: 60, stride: 240, seed: $0) }
        let expected = try images.map { try encode(shared, $0, 80, 60, 240) }
        var own: [OpaquePointer?] = Array(repeating: nil, count: 4)
        for i in 0..<4 { XCTAssertEqual(vtk_model_load(nil, &own[i]), VTK_OK) }
        defer { own.forEach { vtk_model_free($0) } }
        let results = Results(count: 8 * 3)
        let models = UncheckedModels(shared: shared, own: own.map { $0! })
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            let model = thread < 4 ? models.shared : models.own[thread - 4]
            for round in 0..<3 {
                let image = images[(thread + round) % 4]
                var out: UnsafeMutablePointer<UInt8>?
                var size = 0
                guard vtk_encode(model, image, 80, 60, 240, nil, &out, &size) == VTK_OK else { continue }
                var rgb: UnsafeMutablePointer<UInt8>?
                var w: Int32 = 0, h: Int32 = 0
                let decodedOK = vtk_decode(model, out, size, &rgb, &w, &h) == VTK_OK && w == 80 && h == 60
                vtk_free(rgb)
                results.set(thread * 3 + round, decodedOK ? Array(UnsafeBufferPointer(start: out, count: size)) : [])
                vtk_free(out)
            }
        }
        for thread in 0..<8 {
            for round in 0..<3 {
                XCTAssertEqual(results.get(thread * 3 + round), expected[(thread + round) % 4], "thread \(thread) round \(round)")
            }
        }
    }
}

private struct UncheckedModels: @unchecked Sendable {
    let shared: OpaquePointer
    let own: [OpaquePointer]
}

private final class Results: @unchecked Sendable {
    private var values: [[UInt8]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ index: Int, _ value: [UInt8]) { lock.withLock { values[index] = value } }
    func get(_ index: Int) -> [UInt8] { lock.withLock { values[index] } }
}

extension Array where Element == [UInt8] {
    /// C's `const uint8_t *const *`: a pointer to each array's bytes, valid inside `body`.
    func withUnsafeBufferPointers<R>(_ body: (UnsafePointer<UnsafePointer<UInt8>?>) -> R) -> R {
        let copies = map { bytes -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(1, bytes.count))
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        defer { copies.forEach { $0.deallocate() } }
        let pointers: [UnsafePointer<UInt8>?] = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
