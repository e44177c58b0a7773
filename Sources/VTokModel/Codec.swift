#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokImage
import VTokNN

/// Images to `.vtok` files and back with one trained tokenizer: the library behind `vtok encode`
/// and `vtok decode`.
///
/// ```swift
/// let codec = try VTokCodec(contentsOf: "model.safetensors")   // or VTokCodec.defaultModel()
/// let file = codec.encode(image)                                // all K tokens
/// let small = file.truncated(toTokens: 32)                      // any prefix decodes
/// let picture = try codec.decode(small)                         // same size as `image`
/// ```
///
/// **Sizes and aspect ratio.** By default (`.single`) the whole image is stretched to the model's
/// square native resolution (256×256 for the shipped model), tokenized, and the decoded square is
/// stretched back to the original width and height: `k` tokens describe the whole image, whatever
/// its size, and nothing is cropped. With `tiled: true` the image is cut into native-resolution
/// tiles (the right and bottom ones padded by repeating edge pixels) and each tile gets its own k
/// tokens, so larger images get proportionally more tokens and keep their native detail.
/// A full-resolution model (`LayeredTokenizer`) needs neither: its first tokens describe the whole
/// image, and the rest code it at its own resolution, more of them for a larger image.
public final class VTokCodec {
    /// The network, of whichever registered architecture the model file names.
    public let tokenizer: any ImageTokenizer
    /// The first 4 bytes of the SHA-256 of the weights file: written into every file, checked on decode.
    public let modelID: ModelID
    /// The weights file's metadata: the config and the training record (`vtok.training.*`).
    public let metadata: [String: String]
    /// The distribution a coded payload codes the tokens under (`vtok prior` estimates it and stores
    /// it in the weights file, where the model id covers it); nil for a model without one, whose
    /// files are written with a raw payload.
    public let prior: StaticTokenPrior?
    /// The prior as the container codes with it (for a full-resolution model, sized per image).
    public let codingPrior: (any TokenPrior)?
    /// The metadata key of the prior's text form (`StaticTokenPrior.serialized`).
    public static let priorMetadataKey = TokenizerRegistry.priorKey

    public convenience init(weightsFileBytes bytes: [UInt8]) throws {
        let weights = try WeightsFile(bytes: bytes)
        let tokenizer = try TokenizerRegistry.tokenizer(weights: weights)
        let prior = try weights.metadata[Self.priorMetadataKey].map { text throws in try StaticTokenPrior(serialized: text) }
        var baseCodec: VTokCodec?, leadingCodecs: [VTokCodec] = []
        if let layered = tokenizer as? LayeredTokenizer {
            if let baseID = weights.metadata[LayeredTokenizer.baseModelKey].flatMap(ModelID.init(hex:)) {
                baseCodec = try VTokCodec(tokenizer: layered.base, modelID: baseID, metadata: [:], prior: try prior.map(layered.basePrior),
                                          baseCodec: nil, leadingCodecs: [])
            }
            // The models this one extends share its weights and first tables: their files decode through its first layers.
            for (id, layers) in try LayeredTokenizer.leadingModels(weights.metadata) {
                guard layers <= layered.refinements.count else {
                    throw TokenizerError.invalidWeights("\(LayeredTokenizer.leadingModelsKey): \(layers) detail layers of \(1 + layered.refinements.count)")
                }
                let leading = layered.leading(detailLayers: layers)
                leadingCodecs.append(try VTokCodec(tokenizer: leading, modelID: id, metadata: [:],
                                                   prior: try prior.map { try LayeredTokenizer.leadingTables($0, positions: leading.priorTables) },
                                                   baseCodec: nil, leadingCodecs: []))
            }
        }
        try self.init(tokenizer: tokenizer, modelID: ModelID(weightsFile: bytes), metadata: weights.metadata, prior: prior,
                      baseCodec: baseCodec, leadingCodecs: leadingCodecs)
    }

    private init(tokenizer: any ImageTokenizer, modelID: ModelID, metadata: [String: String], prior: StaticTokenPrior?,
                 baseCodec: VTokCodec?, leadingCodecs: [VTokCodec]) throws {
        self.tokenizer = tokenizer
        shape = tokenizer.shape
        self.modelID = modelID
        self.metadata = metadata
        self.prior = prior
        codingPrior = try prior.map { prior throws -> any TokenPrior in
            let coding = try (tokenizer as? any FullResolutionTokenizer)?.codingPrior(prior) ?? prior
            let shape = tokenizer.shape
            guard coding.layout == shape.layout, coding.sized(width: shape.resolution, height: shape.resolution).positions >= shape.maxTokens else {
                throw TokenizerError.invalidWeights("the prior is for \(coding.positions) tokens of \(coding.layout), the model's are \(shape.maxTokens) of \(shape.layout)")
            }
            return coding
        }
        self.baseCodec = baseCodec
        self.leadingCodecs = leadingCodecs
    }

    /// For a layered model, a codec of its base layer alone under the base model's id: the files
    /// the base model wrote, tiled or not, read and decode through it, as the base model's own.
    public let baseCodec: VTokCodec?
    /// The base model's id (`baseCodec`).
    public var baseModelID: ModelID? { baseCodec?.modelID }
    /// For a layered model made by adding refinements to others (`vtok layer`), codecs of its first
    /// layers under those models' ids: their files read and decode through them, to the same pictures.
    public let leadingCodecs: [VTokCodec]

    /// The codec that reads and writes the files of model `id`: this one, its base's, or one of
    /// the models it extends; nil for any other model.
    public func codec(forModel id: ModelID) -> VTokCodec? {
        id == modelID ? self : earlierCodecs.first { $0.modelID == id }
    }

    /// The codecs of the other models whose files this one reads: its base's, then those it extends.
    private var earlierCodecs: [VTokCodec] { [baseCodec].compactMap { $0 } + leadingCodecs }

    public convenience init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.invalidWeights("cannot read model file \(path)")
        }
        try self.init(weightsFileBytes: [UInt8](data))
    }

    /// The model shipped with vtok, found where `ModelLocator` looks (`VTOK_MODEL`, then beside the
    /// executable, where SwiftPM copies the package resource).
    public static func defaultModel() throws -> VTokCodec {
        try VTokCodec(contentsOf: ModelLocator.requireDefaultModelPath())
    }

    /// Native and working resolution, K, and the token layout.
    public let shape: TokenizerShape
    public var layout: TokenLayout { shape.layout }
    /// How images reach the network and come back.
    public var input: TokenizerInput { TokenizerInput(shape: shape) }

    /// Images (or tiles) per network batch: bounds memory for huge tiled images.
    private static let batchLimit = 16

    // MARK: Encoding

    /// All K tokens of the image (of every tile when `tiled`). Truncate the result for fewer. A
    /// full-resolution model (`fullResolution`) codes the whole image at its own size, tiled or not.
    public func encode(_ image: RGBImage, tiled: Bool = false) -> VTokFile {
        if let fullResolution { return wholeImageFile(image, tokens: fullResolution.tokens(of: image)) }
        let tiles: TileLayout = tiled ? .tiled(side: shape.resolution) : .single
        // Tiles carry their surroundings when the architecture reads across borders.
        let context = tiled ? tokenizer.tileContext : 0
        let squares = tiled ? tileImages(image, margin: input.nativeContext(context)) : [image]
        var tokens: [[UInt32]] = []
        for start in stride(from: 0, to: squares.count, by: Self.batchLimit) {
            let batch = Array(squares[start..<min(start + Self.batchLimit, squares.count)])
            tokens += tokenizer.tokens(images: input.batch(batch, context: context))
        }
        return VTokFile(width: image.width, height: image.height, tiles: tiles, layout: layout, modelID: modelID,
                        tokens: tokens)
    }

    /// A file of one token sequence for all of `image` (a full-resolution model's).
    func wholeImageFile(_ image: RGBImage, tokens: [UInt32]) -> VTokFile {
        VTokFile(width: image.width, height: image.height, tiles: .single, layout: layout, modelID: modelID, tokens: [tokens])
    }

    /// The tokenizer when it codes images at their own resolution (no stretching, no tiles).
    public var fullResolution: (any FullResolutionTokenizer)? { tokenizer as? any FullResolutionTokenizer }

    /// All the tokens of a width×height image (per tile when tiled): what a file of it holds whole.
    public func tokenCount(width: Int, height: Int) -> Int {
        fullResolution?.tokenCount(width: width, height: height) ?? shape.maxTokens
    }

    /// Native-resolution tiles in row-major order, each with `margin` pixels of its surroundings on
    /// every side; past the image's edges the nearest edge pixel repeats.
    private func tileImages(_ image: RGBImage, margin: Int) -> [RGBImage] {
        let tileSide = shape.resolution, side = tileSide + 2 * margin
        let grid = TileLayout.tiled(side: tileSide).tileGrid(width: image.width, height: image.height)
        var tiles: [RGBImage] = []
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                var pixels = [UInt8](repeating: 0, count: side * side * 3)
                for y in 0..<side {
                    let sourceY = min(max(row * tileSide + y - margin, 0), image.height - 1)
                    for x in 0..<side {
                        let sourceX = min(max(column * tileSide + x - margin, 0), image.width - 1)
                        let source = (sourceY * image.width + sourceX) * 3, target = (y * side + x) * 3
                        pixels[target] = image.pixels[source]
                        pixels[target + 1] = image.pixels[source + 1]
                        pixels[target + 2] = image.pixels[source + 2]
                    }
                }
                tiles.append(RGBImage(width: side, height: side, pixels: pixels))
            }
        }
        return tiles
    }

    // MARK: Files

    /// What the container needs of this model to write and read version 2 files.
    public var modelCoding: ModelCoding { ModelCoding(id: modelID, prior: codingPrior) }

    /// The format this codec writes unless told otherwise: version 2, the payload coded under the
    /// prior when the model has one.
    public var defaultFormat: FileFormat { .version2(prior == nil ? .raw : .arithmetic) }

    /// The bytes of `file` in `format` (spec/vtok.md). Every caller that turns tokens into a `.vtok`
    /// file goes through here, so the format has one owner.
    public func fileBytes(_ file: VTokFile, format: FileFormat? = nil) throws -> [UInt8] {
        try file.serialized(format: format ?? defaultFormat, model: modelCoding)
    }

    /// Reads a `.vtok` file of any version. A cut file decodes to the tokens its bytes determine,
    /// with a `.truncated` warning.
    public func read(_ bytes: [UInt8]) throws -> VTokReading {
        do {
            return try VTokFile.read(bytes, model: modelCoding)
        } catch {
            // A base or leading model's file passes this model's 4-bit header check 1 time in 16 and
            // then fails the file check: whatever the error, their readings are tried before it is thrown.
            for earlier in earlierCodecs {
                if let reading = try? earlier.read(bytes) { return reading }
            }
            throw error
        }
    }

    /// `sizes[k]`: the whole-file size in bytes of `file` cut to its first k tokens per tile.
    public func fileSizes(_ file: VTokFile, format: FileFormat? = nil) throws -> [Int] {
        try file.fileSizes(format: format ?? defaultFormat, model: modelCoding)
    }

    // MARK: Decoding

    /// The image the file's tokens describe, at the file's width and height. Refuses files written
    /// by another model, and (with `ImageError.tooLarge`, before allocating anything) files whose
    /// image, or for tiled files whose whole tile grid, has more than `limits.maxPixels` pixels: a
    /// decode then peaks at about 16 bytes per pixel of that limit on top of the model (README).
    public func decode(_ file: VTokFile, limits: ImageLimits = .default) throws -> RGBImage {
        // Tiled files decode every tile at full size: the budget is the whole grid of tiles.
        let grid = file.tiles.tileGrid(width: file.width, height: file.height)
        let (decodedWidth, decodedHeight) = if case .tiled(let side) = file.tiles {
            (grid.columns * side, grid.rows * side)
        } else {
            (file.width, file.height)
        }
        try Self.requireWithin(limits, width: decodedWidth, height: decodedHeight)
        if file.modelID != modelID, let earlier = codec(forModel: file.modelID) { return try earlier.decode(file, limits: limits) }
        try file.modelID.requireMatch(modelID)
        guard file.layout == layout else {
            throw TokenizerError.invalidTokens("the file's tokens are \(file.layout) but the model's are \(layout)")
        }
        let available = tokenCount(width: file.width, height: file.height)
        guard file.tokenCount <= available else {
            throw TokenizerError.invalidTokens("\(file.tokenCount) tokens per tile; the model has \(available) for this image")
        }
        switch file.tiles {
        case .single:
            if let fullResolution { return fullResolution.image(tokens: file.tokens[0], width: file.width, height: file.height) }
            return input.stretched(decodeSquares(file.tokens)[0], width: file.width, height: file.height)
        case .tiled(let side):
            guard fullResolution == nil else {
                throw TokenizerError.invalidTokens("a tiled file; this model codes images whole, at their own resolution")
            }
            guard side == shape.resolution else {
                throw TokenizerError.invalidTokens("tiles of \(side) px; the model's tiles are \(shape.resolution) px")
            }
            // The working-resolution tiles are joined first and stretched as one image, so that the
            // upscaling filter reads across the tile borders instead of repeating each tile's edge.
            let columns = grid.columns, r = shape.workingResolution
            var tiles: [RGBImage] = []
            for start in stride(from: 0, to: file.tokens.count, by: Self.batchLimit) {
                let range = start..<min(start + Self.batchLimit, file.tokens.count)
                tiles += input.images(planes: tokenizer.images(tileGrid: file.tokens, columns: columns, range: range), count: range.count)
            }
            let mosaic = assemble(tiles: tiles, width: columns * r, height: grid.rows * r, side: r)
            let stretched = input.stretched(mosaic, width: columns * side, height: grid.rows * side)
            return Self.topLeft(of: stretched, width: file.width, height: file.height)
        }
    }

    /// Throws `ImageError.tooLarge` unless a width×height output fits `limits` (checked before allocating).
    private static func requireWithin(_ limits: ImageLimits, width: Int, height: Int) throws {
        let pixels = width.multipliedReportingOverflow(by: height)
        guard width >= 1, height >= 1, !pixels.overflow, pixels.partialValue <= limits.maxPixels else {
            throw ImageError.tooLarge(width: width, height: height, maxPixels: limits.maxPixels)
        }
    }

    /// Working-resolution images decoded from each token list.
    private func decodeSquares(_ tokens: [[UInt32]]) -> [RGBImage] {
        var squares: [RGBImage] = []
        for start in stride(from: 0, to: tokens.count, by: Self.batchLimit) {
            let batch = Array(tokens[start..<min(start + Self.batchLimit, tokens.count)])
            squares += input.images(planes: tokenizer.images(tokens: batch), count: batch.count)
        }
        return squares
    }

    /// The `width`×`height` window at the top left: the image within its padded tile grid.
    private static func topLeft(of image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height { pixels += image.pixels[(y * image.width) * 3..<(y * image.width + width) * 3] }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private func assemble(tiles: [RGBImage], width: Int, height: Int, side: Int) -> RGBImage {
        let columns = (width + side - 1) / side
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for (index, tile) in tiles.enumerated() {
            let left = (index % columns) * side, top = (index / columns) * side
            for y in 0..<min(side, height - top) {
                let count = min(side, width - left) * 3
                let target = ((top + y) * width + left) * 3
                pixels.withUnsafeMutableBufferPointer { out in
                    tile.pixels.withUnsafeBufferPointer { source in
                        (out.baseAddress! + target).update(from: source.baseAddress! + y * side * 3, count: count)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    // MARK: Batches of whole images

    /// All K tokens of each whole image (stretched to the native square, as `encode(_:)` without
    /// tiles does), `batchSize` images per network pass: the fast path for tokenizing datasets.
    public func tokens(images: [RGBImage], batchSize: Int? = nil) -> [[UInt32]] {
        let size = max(1, batchSize ?? Self.batchLimit)
        var tokens: [[UInt32]] = []
        for start in stride(from: 0, to: images.count, by: size) {
            tokens += tokenizer.tokens(images: input.batch(Array(images[start..<min(start + size, images.count)])))
        }
        return tokens
    }

    /// Whole images decoded from token prefixes (each its own length) several per network pass, each
    /// stretched to width×height as `decode` does a file without tiles; refused, before allocating,
    /// when width×height is over `limits` (as `decode`).
    public func images(tokens: [[UInt32]], width: Int, height: Int, limits: ImageLimits = .default) throws -> [RGBImage] {
        try Self.requireWithin(limits, width: width, height: height)
        let limit = UInt64(1) << UInt64(layout.bitsPerToken)
        for ids in tokens {
            guard ids.count <= shape.maxTokens else {
                throw TokenizerError.invalidTokens("\(ids.count) tokens; the model has \(shape.maxTokens)")
            }
            if let bad = ids.first(where: { UInt64($0) >= limit }) {
                throw TokenizerError.invalidTokens("token id \(bad) is not below 2^\(layout.bitsPerToken)")
            }
        }
        return decodeSquares(tokens).map { input.stretched($0, width: width, height: height) }
    }
}
