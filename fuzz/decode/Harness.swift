// libFuzzer target for the whole decode of a .vtok: the container reader, then VTokCodec.decode with
// a tiny random-weights model made here, under a pixel limit: a transformer (16 px tiles, 8 tokens
// of 2x4 bits) or a convolutional model (32 px tiles decoded from their neighbours' latents, 16
// tokens of 4x3 bits, files coded under its learned prior), picked by the first byte's bit 2, or a
// layered model (that convolutional base and a detail layer at the image's own size), by bit 3,
// whose detail tokens are coded under context tables (spec §15.1.2) when bit 4 is set too.
// Compiled by fuzz/run.sh with the VTokContainer, VTokImage, VTokNN and VTokModel sources.
//
// The first byte's bit 0 picks how the rest is read:
//   even: the bytes are a .vtok file, parsed as they are; if it parses, its model id is set to the
//         tiny model's (no fuzzer guesses a SHA-256) and it is decoded;
//   odd:  the bytes describe a file field by field (bit 1: version 1 instead of the codec's format) (size, tiles, token count, ids), so the decoder
//         sees every shape without the fuzzer having to forge CRC-32s; it is written, read back, decoded.
// Checked: no crash or trap; a decode under the limit returns exactly the file's width x height; a
// file over the limit is refused with ImageError.tooLarge, never decoded.
import VTokContainer
import VTokImage
import VTokModel
import VTokNN

let transformerCodec: VTokCodec = {
    var config = TransformerConfig()
    config.resolution = 16
    config.workingResolution = 8
    config.patchSize = 4
    config.width = 16
    config.heads = 2
    config.encoderLayers = 1
    config.decoderLayers = 1
    config.mlpRatio = 2
    config.maxTokens = 8
    config.tokensPerRegister = 2
    config.groups = 2
    config.bitsPerGroup = 4
    config.linearPathTokens = 4
    config.refinementChannels = 4
    config.refinementHiddenChannels = 4
    return try! VTokCodec(weightsFileBytes: try! TransformerTokenizer(config: config).weightsFile().serialized(as: .float16))
}()

let tinyConvolutionalConfig: ConvolutionalConfig = {
    var config = ConvolutionalConfig()
    config.resolution = 32
    config.workingResolution = 16
    config.stages = 2
    config.kernelSize = 3
    config.channels = 4
    config.latentChannels = 4
    return config
}()

let convolutionalCodec = try! VTokCodec(weightsFileBytes: try! ConvolutionalTokenizer(config: tinyConvolutionalConfig)
    .weightsFile().serialized(as: .float16))

/// The tiny convolutional model as a base, a detail layer of 4 channels on 8-px blocks: token
/// counts that grow with the image, coded under a prior sized to it, with `contexts` tables a channel
/// picked by the 2 channels before.
func layeredCodec(contexts: Int) -> VTokCodec {
    var detail = tinyConvolutionalConfig
    detail.resolution = 16
    var config = LayeredConfig()
    config.resolution = 32
    config.base = tinyConvolutionalConfig
    config.detail = detail
    config.detailPriorContexts = contexts
    config.detailPriorWindow = 2
    return try! VTokCodec(weightsFileBytes: try! LayeredTokenizer(config: config).weightsFile().serialized(as: .float16))
}
let layeredCodecs = [layeredCodec(contexts: 1), layeredCodec(contexts: 3)]

/// 4096 pixels: at most 16 tiles of 16x16 (one network batch), so one input decodes in about a
/// millisecond and memory stays small; larger declared sizes exercise the refusal.
let fuzzLimits = ImageLimits(maxPixels: 1 << 12)

struct Reader {
    var bytes: ArraySlice<UInt8>
    mutating func byte() -> Int { bytes.popFirst().map(Int.init) ?? 0 }
    mutating func u16() -> Int { byte() << 8 | byte() }
}

func structuredFile(_ bytes: ArraySlice<UInt8>, codec tinyCodec: VTokCodec) -> VTokFile {
    var reader = Reader(bytes: bytes)
    let config = tinyCodec.shape
    // Mostly small sizes, sometimes any 16-bit size (which the limit must refuse).
    let wide = reader.byte()
    let width = wide & 0x80 != 0 ? max(1, reader.u16()) : 1 + reader.byte() % 80
    let height = wide & 0x40 != 0 ? max(1, reader.u16()) : 1 + reader.byte() % 80
    let tiles: TileLayout = wide & 1 != 0 ? .tiled(side: config.resolution) : .single
    let tileCount = min(tiles.tileCount(width: width, height: height), 1 << 16)
    // At most 2^16 tokens in all: a grid of tens of thousands of tiles with a full sequence each
    // takes the instrumented range coder past the fuzzer's time limit, and tests nothing more.
    let count = min(reader.byte() % (config.maxTokens + 1), (1 << 16) / tileCount)
    let mask = UInt32((1 << config.bitsPerToken) - 1)
    // Tiles past the data repeat the last ones read: the count of ids stays bounded by the input.
    var tokens: [[UInt32]] = []
    tokens.reserveCapacity(tileCount)
    for tile in 0..<tileCount {
        if reader.bytes.isEmpty && tile > 0 { tokens.append(tokens[tile - 1]); continue }
        tokens.append((0..<count).map { _ in UInt32(reader.u16()) & mask })
    }
    return VTokFile(width: width, height: height, tiles: tiles, layout: tinyCodec.layout,
                    modelID: tinyCodec.modelID, tokens: tokens)
}

func check(_ file: VTokFile, codec tinyCodec: VTokCodec) {
    var file = file
    file.modelID = tinyCodec.modelID
    let grid = file.tiles.tileGrid(width: file.width, height: file.height)
    let side: Int = if case .tiled(let side) = file.tiles { side } else { 0 }
    let pixels = side == 0 ? file.width * file.height : grid.columns * side * grid.rows * side
    do {
        let image = try tinyCodec.decode(file, limits: fuzzLimits)
        precondition(pixels <= fuzzLimits.maxPixels, "decoded \(pixels) pixels over the limit")
        precondition(image.width == file.width && image.height == file.height, "decoded size differs from the file's")
    } catch ImageError.tooLarge {
        precondition(pixels > fuzzLimits.maxPixels, "refused \(pixels) pixels within the limit")
    } catch {
        // Another model's layout or tile size, too many tokens: refused, as it should be.
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func vtokFuzzDecode(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let tinyCodec = mode & 8 != 0 ? layeredCodecs[Int(mode >> 4) & 1] : mode & 4 == 0 ? transformerCodec : convolutionalCodec
    if mode & 1 == 0 {
        // The codec-level reader (any version, with the tiny model's coding), then the container's.
        if let reading = try? tinyCodec.read(Array(bytes.dropFirst())) { check(reading.file, codec: tinyCodec) }
        if let reading = try? VTokFile.read(Array(bytes.dropFirst()), model: nil) { check(reading.file, codec: tinyCodec) }
    } else {
        let file = structuredFile(bytes.dropFirst(), codec: tinyCodec)
        // The codec's own format (version 2) and version 1, as the CLI writes them.
        let format: FileFormat = mode & 2 == 0 ? tinyCodec.defaultFormat : .version1
        guard let written = try? tinyCodec.fileBytes(file, format: format) else { return 0 }
        guard let reading = try? tinyCodec.read(written), reading.warnings.isEmpty, reading.file == file else {
            preconditionFailure("a file vtok wrote does not read back")
        }
        check(reading.file, codec: tinyCodec)
    }
    return 0
}
