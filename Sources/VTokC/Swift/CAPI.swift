// The C API declared in Sources/VTokC/API/include/vtok.h, implemented with @_cdecl. Each function
// checks its arguments, runs under the model's lock, catches every Swift error and turns it into a
// vtk_status plus a thread-local message (vtk_last_error), and hands results back in malloc'd
// buffers that the caller releases with vtk_free.
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import Synchronization
import VTokCAPI
import VTokContainer
import VTokImage
import VTokModel
import VTokNN
#if canImport(Glibc)
import Glibc
#endif

// MARK: Errors

/// A failure the API reports as it is: a status and a sentence.
struct APIError: Error {
    let status: vtk_status
    let message: String

    static func invalid(_ message: String) -> APIError { APIError(status: VTK_INVALID_ARGUMENT, message: message) }
}

/// The message of the last failing call, one per thread (a malloc'd C string, freed when replaced
/// or when the thread ends).
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

private func setLastError(_ message: String) {
    let old = pthread_getspecific(lastErrorKey)
    pthread_setspecific(lastErrorKey, strdup(message))
    free(old)
}

private func status(for error: Error) -> (vtk_status, String) {
    switch error {
    case let error as APIError:
        return (error.status, error.message)
    case let error as VTokError:
        if case .modelMismatch = error { return (VTK_MODEL_MISMATCH, error.description) }
        return (VTK_BAD_DATA, error.description)
    case let error as ImageError:
        if case .fileUnwritable = error { return (VTK_IO_ERROR, error.description) }
        if case .tooLarge = error { return (VTK_INVALID_ARGUMENT, error.description) }
        return (VTK_BAD_DATA, error.description)
    case let error as TokenizerError:
        switch error {
        case .invalidTokens: return (VTK_INVALID_ARGUMENT, error.description)
        case .invalidConfig, .invalidWeights: return (VTK_MODEL_INVALID, error.description)
        }
    case let error as ModelNotFound:
        return (VTK_MODEL_NOT_FOUND, error.description)
    default:
        return (VTK_INTERNAL_ERROR, "\(error)")
    }
}

/// Runs `body`; any error becomes its status and this thread's last error.
private func guarded(_ function: String, _ body: () throws -> Void) -> vtk_status {
    do {
        try body()
        return VTK_OK
    } catch {
        let (code, message) = status(for: error)
        setLastError("\(function): \(message)")
        return code
    }
}

// MARK: Models

/// What a `vtk_model *` points to: the codec and the lock that serialises calls on it (the network
/// keeps scratch buffers between calls).
final class ModelHandle: @unchecked Sendable {
    let codec: VTokCodec
    private let lock = Mutex(())

    init(codec: VTokCodec) { self.codec = codec }

    func withCodec<Result>(_ body: (VTokCodec) throws -> Result) throws -> Result {
        try lock.withLock { _ in try body(codec) }
    }
}

private func handle(_ pointer: OpaquePointer?) throws -> ModelHandle {
    guard let pointer else { throw APIError.invalid("model is NULL") }
    return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

/// The path of the shared library (or executable) this code was linked into.
/// (/proc/self/maps names the file mapped at each address; dladdr would need _GNU_SOURCE.)
private func libraryPath() -> String? {
    let function: @convention(c) () -> Int32 = vtkVersion
    let address = unsafeBitCast(function, to: UInt.self)
    // /proc files report a size of 0, so read them line by line.
    guard let file = fopen("/proc/self/maps", "r") else { return nil }
    defer { fclose(file) }
    var buffer: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    defer { free(buffer) }
    while getline(&buffer, &capacity, file) > 0 {
        var line = String(cString: buffer!)
        while line.last?.isNewline == true { line.removeLast() }
        guard let slash = line.firstIndex(of: "/"), let space = line.firstIndex(of: " ") else { continue }
        let range = line[..<space].split(separator: "-")
        guard range.count == 2, let low = UInt(range[0], radix: 16), let high = UInt(range[1], radix: 16) else { continue }
        if low <= address && address < high { return String(line[slash...]) }
    }
    return nil
}

/// Where the default model may be: `VTOK_MODEL`, beside this library, then beside the executable,
/// each as `ModelLocator` lists them for the vtok command.
func defaultModelCandidates() -> [String] {
    var paths: [String] = []
    if let library = libraryPath() { paths += ModelLocator.candidatePaths(executablePath: library) }
    // Not CommandLine.arguments: inside a host program that is not Swift (Python) it is not set.
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        paths += ModelLocator.candidatePaths(executablePath: executable)
    }
    var seen = Set<String>()
    return paths.filter { seen.insert($0).inserted }
}

/// The weights file `vtk_model_load(NULL, ...)` loads: the first default candidate that exists.
private func defaultModelPath() throws -> String {
    let candidates = defaultModelCandidates()
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw APIError(status: VTK_MODEL_NOT_FOUND, message: "no model found: pass a path, or set "
                       + "\(ModelLocator.environmentVariable). Looked in:\n  " + candidates.joined(separator: "\n  "))
    }
    return found
}

private func loadModel(path: String?) throws -> VTokCodec {
    let path = try path ?? defaultModelPath()
    guard let data = FileManager.default.contents(atPath: path) else {
        throw APIError(status: VTK_MODEL_NOT_FOUND, message: "cannot read model file \(path)")
    }
    do {
        return try VTokCodec(weightsFileBytes: [UInt8](data))
    } catch {
        throw APIError(status: VTK_MODEL_INVALID, message: "\(path): \(error)")
    }
}

@_cdecl("vtk_version")
public func vtkVersion() -> Int32 { Int32(VTK_VERSION) }

@_cdecl("vtk_last_error")
public func vtkLastError() -> UnsafePointer<CChar>? {
    if let message = pthread_getspecific(lastErrorKey) { return UnsafePointer(message.assumingMemoryBound(to: CChar.self)) }
    return emptyString
}

nonisolated(unsafe) private let emptyString = UnsafePointer(strdup("")!)
nonisolated(unsafe) private let kernelsName = UnsafePointer(strdup(BLASRuntime.corename)!)

@_cdecl("vtk_blas_kernels")
public func vtkBLASKernels() -> UnsafePointer<CChar>? { kernelsName }

@_cdecl("vtk_free")
public func vtkFree(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }

@_cdecl("vtk_model_load")
public func vtkModelLoad(_ path: UnsafePointer<CChar>?, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> vtk_status {
    guarded("vtk_model_load") {
        guard let outModel else { throw APIError.invalid("out_model is NULL") }
        let codec = try loadModel(path: path.map { String(cString: $0) })
        outModel.pointee = OpaquePointer(Unmanaged.passRetained(ModelHandle(codec: codec)).toOpaque())
    }
}

@_cdecl("vtk_model_default_path")
public func vtkModelDefaultPath(_ outPath: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> vtk_status {
    guarded("vtk_model_default_path") {
        guard let outPath else { throw APIError.invalid("out_path is NULL") }
        outPath.pointee = try mallocCopy(Array(try defaultModelPath().utf8CString))
    }
}

@_cdecl("vtk_model_free")
public func vtkModelFree(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("vtk_model_get_info")
public func vtkModelGetInfo(_ model: OpaquePointer?, _ outInfo: UnsafeMutablePointer<vtk_model_info>?) -> vtk_status {
    guarded("vtk_model_get_info") {
        let model = try handle(model)
        guard let outInfo else { throw APIError.invalid("out_info is NULL") }
        let codec = model.codec   // immutable after loading: no lock needed
        let id = codec.modelID.bytes
        outInfo.pointee = vtk_model_info(
            resolution: Int32(codec.shape.resolution), max_tokens: Int32(codec.shape.maxTokens),
            bits_per_token: Int32(codec.layout.bitsPerToken), groups: Int32(codec.shape.groups),
            bits_per_group: Int32(codec.shape.bitsPerGroup), model_id: (id[0], id[1], id[2], id[3]))
    }
}

@_cdecl("vtk_model_token_count")
public func vtkModelTokenCount(_ model: OpaquePointer?, _ width: Int32, _ height: Int32, _ outTokens: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_model_token_count") {
        let model = try handle(model)
        guard let outTokens else { throw APIError.invalid("out_tokens is NULL") }
        let (w, h) = try outputSize(width, height)
        outTokens.pointee = Int32(model.codec.tokenCount(width: w, height: h))
    }
}

// MARK: Buffers

private let maxPixels = ImageLimits.default.maxPixels

/// Copies a caller's RGB buffer (rows `stride` bytes apart) into an image.
private func image(_ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ stride: Int32, name: String = "rgb") throws -> RGBImage {
    guard let rgb else { throw APIError.invalid("\(name) is NULL") }
    guard width > 0, height > 0 else { throw APIError.invalid("image size \(width)x\(height) is empty") }
    let w = Int(width), h = Int(height)
    guard w <= VTokHeader.maxDimension, h <= VTokHeader.maxDimension, w * h <= maxPixels else {
        throw APIError.invalid("image size \(width)x\(height) is too large (at most \(VTokHeader.maxDimension) a side, \(maxPixels) pixels)")
    }
    guard Int(stride) >= w * 3 else { throw APIError.invalid("stride \(stride) is less than width * 3 = \(w * 3)") }
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    pixels.withUnsafeMutableBufferPointer { out in
        for y in 0..<h {
            (out.baseAddress! + y * w * 3).update(from: rgb + y * Int(stride), count: w * 3)
        }
    }
    return RGBImage(width: w, height: h, pixels: pixels)
}

/// A malloc'd copy of `values`, for the caller to vtk_free.
private func mallocCopy<T>(_ values: [T]) throws -> UnsafeMutablePointer<T> {
    guard let raw = malloc(max(1, values.count * MemoryLayout<T>.stride)) else {
        throw APIError(status: VTK_OUT_OF_MEMORY, message: "cannot allocate \(values.count * MemoryLayout<T>.stride) bytes")
    }
    let pointer = raw.bindMemory(to: T.self, capacity: max(1, values.count))
    values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    return pointer
}

private func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) throws -> [UInt8] {
    guard let data else { throw APIError.invalid("data is NULL") }
    return [UInt8](UnsafeBufferPointer(start: data, count: size))
}

// MARK: Encoding

private struct EncodeChoice {
    var budget = TokenBudget.all
    var tiled = false

    init(_ options: UnsafePointer<vtk_encode_options>?) throws {
        guard let options = options?.pointee else { return }
        if options.tokens < -1 { throw APIError.invalid("tokens \(options.tokens) must be -1 (all) or 0 or more") }
        if options.max_bytes < 0 { throw APIError.invalid("max_bytes \(options.max_bytes) must be 0 (none) or positive") }
        if !options.target_psnr.isFinite || options.target_psnr < 0 {
            throw APIError.invalid("target_psnr \(options.target_psnr) must be 0 (none) or a positive number of dB")
        }
        do {
            budget = try TokenBudget(tokens: options.tokens >= 0 ? Int(options.tokens) : nil,
                                     maxBytes: options.max_bytes > 0 ? Int(options.max_bytes) : nil,
                                     targetPSNR: options.target_psnr > 0 ? options.target_psnr : nil)
        } catch {
            throw APIError.invalid("set at most one of tokens, max_bytes and target_psnr")
        }
        guard options.tiled == 0 || options.tiled == 1 else { throw APIError.invalid("tiled must be 0 or 1") }
        tiled = options.tiled == 1
    }

    /// The file the options ask for, cut from all K tokens as `vtok encode` cuts it
    /// (`VTokCodec.encode(_:budget:)`).
    func encoded(_ image: RGBImage, with codec: VTokCodec) throws -> EncodedImage {
        do {
            return try codec.encode(image, budget: budget, tiled: tiled)
        } catch let error as TokenBudgetError {
            throw APIError.invalid("\(error)")
        }
    }
}

@_cdecl("vtk_encode")
public func vtkEncode(_ model: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ stride: Int32,
                      _ options: UnsafePointer<vtk_encode_options>?,
                      _ outData: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ outSize: UnsafeMutablePointer<Int>?) -> vtk_status {
    guarded("vtk_encode") {
        let model = try handle(model)
        guard let outData, let outSize else { throw APIError.invalid("out_data or out_size is NULL") }
        let picture = try image(rgb, width, height, stride)
        let choice = try EncodeChoice(options)
        let data = try model.withCodec { codec in try choice.encoded(picture, with: codec).bytes }
        outData.pointee = try mallocCopy(data)
        outSize.pointee = data.count
    }
}

@_cdecl("vtk_encode_tokens")
public func vtkEncodeTokens(_ model: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ stride: Int32,
                            _ options: UnsafePointer<vtk_encode_options>?, _ outIDs: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>?,
                            _ outTiles: UnsafeMutablePointer<Int32>?, _ outTokens: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_encode_tokens") {
        let model = try handle(model)
        guard let outIDs, let outTiles, let outTokens else { throw APIError.invalid("out_ids, out_tiles or out_tokens is NULL") }
        let picture = try image(rgb, width, height, stride)
        let choice = try EncodeChoice(options)
        let file = try model.withCodec { codec in try choice.encoded(picture, with: codec).file }
        outIDs.pointee = try mallocCopy(file.tokens.flatMap { $0 })
        outTiles.pointee = Int32(file.tokens.count)
        outTokens.pointee = Int32(file.tokenCount)
    }
}

@_cdecl("vtk_encode_tokens_batch")
public func vtkEncodeTokensBatch(_ model: OpaquePointer?, _ count: Int32, _ rgb: UnsafePointer<UnsafePointer<UInt8>?>?,
                                 _ widths: UnsafePointer<Int32>?, _ heights: UnsafePointer<Int32>?, _ strides: UnsafePointer<Int32>?,
                                 _ tokens: Int32, _ outIDs: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>?,
                                 _ outTokens: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_encode_tokens_batch") {
        let model = try handle(model)
        guard count >= 0 else { throw APIError.invalid("count \(count) is negative") }
        guard let rgb, let widths, let heights, let strides else { throw APIError.invalid("rgb, widths, heights or strides is NULL") }
        guard let outIDs, let outTokens else { throw APIError.invalid("out_ids or out_tokens is NULL") }
        let maxTokens = model.codec.shape.maxTokens
        guard tokens == -1 || (0...maxTokens).contains(Int(tokens)) else {
            throw APIError.invalid("tokens \(tokens): give -1 (all) or 0...\(maxTokens)")
        }
        let kept = tokens == -1 ? maxTokens : Int(tokens)
        let images = try (0..<Int(count)).map { i in try image(rgb[i], widths[i], heights[i], strides[i], name: "rgb[\(i)]") }
        let ids = try model.withCodec { $0.tokens(images: images) }
        outIDs.pointee = try mallocCopy(ids.flatMap { $0.prefix(kept) })
        outTokens.pointee = Int32(kept)
    }
}

// MARK: Decoding

private func pixels(_ image: RGBImage, into outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) throws {
    outRGB.pointee = try mallocCopy(image.pixels)
}

@_cdecl("vtk_decode")
public func vtkDecode(_ model: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ size: Int,
                      _ outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                      _ outWidth: UnsafeMutablePointer<Int32>?, _ outHeight: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_decode") {
        let model = try handle(model)
        guard let outRGB, let outWidth, let outHeight else { throw APIError.invalid("out_rgb, out_width or out_height is NULL") }
        let input = try bytes(data, size)
        let decoded = try model.withCodec { codec in try codec.decode(try codec.read(input).file) }
        try pixels(decoded, into: outRGB)
        outWidth.pointee = Int32(decoded.width)
        outHeight.pointee = Int32(decoded.height)
    }
}

/// `tiles` sequences of `tokens` ids from a caller's buffer, checked against the model.
/// `maxTokens`: what the model has for each sequence's image (its square's K unless given).
private func idLists(_ ids: UnsafePointer<UInt32>?, sequences: Int32, tokens: Int32, codec: VTokCodec,
                     maxTokens: Int? = nil) throws -> [[UInt32]] {
    guard sequences >= 0, tokens >= 0 else { throw APIError.invalid("negative count: \(sequences) sequences of \(tokens) tokens") }
    let available = maxTokens ?? codec.shape.maxTokens
    guard Int(tokens) <= available else {
        throw APIError.invalid("\(tokens) tokens per sequence; the model has \(available)")
    }
    guard let ids else {
        if tokens == 0 { return Array(repeating: [], count: Int(sequences)) }
        throw APIError.invalid("ids is NULL")
    }
    let limit = UInt64(1) << UInt64(codec.layout.bitsPerToken)
    return try (0..<Int(sequences)).map { s in
        let list = Array(UnsafeBufferPointer(start: ids + s * Int(tokens), count: Int(tokens)))
        if let bad = list.firstIndex(where: { UInt64($0) >= limit }) {
            throw APIError.invalid("token id \(list[bad]) (sequence \(s), position \(bad)) is not below 2^\(codec.layout.bitsPerToken)")
        }
        return list
    }
}

private func outputSize(_ width: Int32, _ height: Int32) throws -> (Int, Int) {
    guard width > 0, height > 0 else { throw APIError.invalid("image size \(width)x\(height) is empty") }
    guard Int(width) <= VTokHeader.maxDimension, Int(height) <= VTokHeader.maxDimension, Int(width) * Int(height) <= maxPixels else {
        throw APIError.invalid("image size \(width)x\(height) is too large")
    }
    return (Int(width), Int(height))
}

@_cdecl("vtk_decode_tokens")
public func vtkDecodeTokens(_ model: OpaquePointer?, _ ids: UnsafePointer<UInt32>?, _ tiles: Int32, _ tokens: Int32,
                            _ width: Int32, _ height: Int32, _ tiled: Int32,
                            _ outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> vtk_status {
    guarded("vtk_decode_tokens") {
        let model = try handle(model)
        guard let outRGB else { throw APIError.invalid("out_rgb is NULL") }
        guard tiled == 0 || tiled == 1 else { throw APIError.invalid("tiled must be 0 or 1") }
        let (w, h) = try outputSize(width, height)
        let codec = model.codec
        let layout: TileLayout = tiled == 1 ? .tiled(side: codec.shape.resolution) : .single
        let expected = layout.tileCount(width: w, height: h)
        guard Int(tiles) == expected else {
            throw APIError.invalid("\(tiles) token sequences for a \(w)x\(h) image; it needs \(expected)"
                                   + (tiled == 1 ? " tiles of \(codec.shape.resolution) px" : " (not tiled)"))
        }
        let lists = try idLists(ids, sequences: tiles, tokens: tokens, codec: codec,
                                maxTokens: tiled == 1 ? nil : codec.tokenCount(width: w, height: h))
        let file = VTokFile(width: w, height: h, tiles: layout, layout: codec.layout, modelID: codec.modelID, tokens: lists)
        let decoded = try model.withCodec { try $0.decode(file) }
        try pixels(decoded, into: outRGB)
    }
}

@_cdecl("vtk_decode_tokens_batch")
public func vtkDecodeTokensBatch(_ model: OpaquePointer?, _ count: Int32, _ ids: UnsafePointer<UInt32>?, _ tokens: Int32,
                                 _ width: Int32, _ height: Int32, _ outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> vtk_status {
    guarded("vtk_decode_tokens_batch") {
        let model = try handle(model)
        guard let outRGB else { throw APIError.invalid("out_rgb is NULL") }
        let (w, h) = try outputSize(width, height)
        guard count >= 0, Int(count) * w * h <= maxPixels else {
            throw APIError.invalid("\(count) images of \(w)x\(h) is too many pixels for one call")
        }
        let lists = try idLists(ids, sequences: count, tokens: tokens, codec: model.codec)
        let images = try model.withCodec { try $0.images(tokens: lists, width: w, height: h) }
        outRGB.pointee = try mallocCopy(images.flatMap(\.pixels))
    }
}

// MARK: File information

@_cdecl("vtk_get_info")
public func vtkGetInfo(_ model: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ size: Int,
                       _ outInfo: UnsafeMutablePointer<vtk_file_info>?) -> vtk_status {
    guarded("vtk_get_info") {
        let model = try handle(model)
        guard let outInfo else { throw APIError.invalid("out_info is NULL") }
        let reading = try model.codec.read(try bytes(data, size))
        let (file, warnings) = (reading.file, reading.warnings)
        var declared = file.tokenCount
        for case .truncated(let declaredTokens, _, _, _) in warnings { declared = declaredTokens }
        var side = 0
        if case .tiled(let tileSide) = file.tiles { side = tileSide }
        let id = file.modelID.bytes
        outInfo.pointee = vtk_file_info(
            width: Int32(file.width), height: Int32(file.height), tiled: side > 0 ? 1 : 0, tile_size: Int32(side),
            tiles: Int32(file.tokens.count), tokens: Int32(file.tokenCount), declared_tokens: Int32(declared),
            bits_per_token: Int32(file.layout.bitsPerToken), model_id: (id[0], id[1], id[2], id[3]),
            matches_model: file.modelID == model.codec.modelID ? 1 : 0)
    }
}

// MARK: Image files

@_cdecl("vtk_image_load")
public func vtkImageLoad(_ path: UnsafePointer<CChar>?, _ outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                         _ outWidth: UnsafeMutablePointer<Int32>?, _ outHeight: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_image_load") {
        guard let path else { throw APIError.invalid("path is NULL") }
        guard let outRGB, let outWidth, let outHeight else { throw APIError.invalid("out_rgb, out_width or out_height is NULL") }
        let loaded = try ImageFile.load(path: String(cString: path))
        try pixels(loaded, into: outRGB)
        outWidth.pointee = Int32(loaded.width)
        outHeight.pointee = Int32(loaded.height)
    }
}

@_cdecl("vtk_image_decode")
public func vtkImageDecode(_ data: UnsafePointer<UInt8>?, _ size: Int, _ outRGB: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                           _ outWidth: UnsafeMutablePointer<Int32>?, _ outHeight: UnsafeMutablePointer<Int32>?) -> vtk_status {
    guarded("vtk_image_decode") {
        guard let outRGB, let outWidth, let outHeight else { throw APIError.invalid("out_rgb, out_width or out_height is NULL") }
        let decoded = try ImageFile.decode(try bytes(data, size))
        try pixels(decoded, into: outRGB)
        outWidth.pointee = Int32(decoded.width)
        outHeight.pointee = Int32(decoded.height)
    }
}

@_cdecl("vtk_image_write_png")
public func vtkImageWritePNG(_ path: UnsafePointer<CChar>?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                             _ stride: Int32) -> vtk_status {
    guarded("vtk_image_write_png") {
        guard let path else { throw APIError.invalid("path is NULL") }
        try ImageFile.writePNG(try image(rgb, width, height, stride), to: String(cString: path))
    }
}
