import VTokContainer
import VTokImage

/// How many tokens an encoder keeps: the choices `vtok encode` and the C library offer.
public enum TokenBudget: Sendable, Equatable {
    /// All of the model's tokens.
    case all
    /// The first k tokens of every tile.
    case tokens(Int)
    /// The most tokens whose whole file fits this many bytes (at least one token per tile).
    case maxBytes(Int)
    /// The fewest tokens that decode to this PSNR (dB, 8-bit RGB), or all of them.
    case targetPSNR(Double)

    /// The budget of at most one of a token count, a byte size and a quality; none: all tokens.
    /// What `vtok encode`'s flags and the C library's options both become.
    public init(tokens: Int?, maxBytes: Int?, targetPSNR: Double?) throws(TokenBudgetError) {
        switch (tokens, maxBytes, targetPSNR) {
        case (nil, nil, nil): self = .all
        case (let count?, nil, nil): self = .tokens(count)
        case (nil, let bytes?, nil): self = .maxBytes(bytes)
        case (nil, nil, let quality?): self = .targetPSNR(quality)
        default: throw .moreThanOneLimit
        }
    }
}

/// Why a budget cannot be met; `description` is a sentence for an error message.
public enum TokenBudgetError: Error, Equatable, CustomStringConvertible {
    case moreThanOneLimit
    /// `available`: the image's tokens, per tile when `tiled`.
    case moreTokensThanTheModelHas(requested: Int, available: Int, tiled: Bool)
    /// `smallestUsefulBytes` is the whole file with one token per tile.
    case byteBudgetHoldsNoToken(maxBytes: Int, tiles: Int, smallestUsefulBytes: Int)
    /// Tiles asked of a full-resolution model, which codes the whole image at its own size.
    case tilesNeedASquareModel

    public var description: String {
        switch self {
        case .moreThanOneLimit:
            return "give at most one of a token count, a byte size and a target PSNR"
        case .moreTokensThanTheModelHas(let requested, let available, let tiled):
            return tiled ? "\(requested) tokens per tile asked for; the model has \(available) tokens per tile"
                : "\(requested) tokens asked for; the model has \(available) tokens for this image"
        case .byteBudgetHoldsNoToken(let maxBytes, let tiles, let smallest):
            return "\(maxBytes) bytes leave room for 0 tokens" + (tiles > 1 ? " in each of the \(tiles) tiles" : "")
                + "; the smallest file with one token\(tiles > 1 ? " per tile" : "") is \(smallest) bytes"
        case .tilesNeedASquareModel:
            return "tiles are for models that fit images to a square; this full-resolution model codes the whole image at its own size"
        }
    }
}

/// What an encoder wrote for an image under a budget.
public struct EncodedImage {
    /// The file's tokens: the first k of the image's.
    public let file: VTokFile
    /// The whole `.vtok` file.
    public let bytes: [UInt8]
    /// For a quality budget, the PSNR the kept tokens decode to, and whether it reached the target
    /// (false when even all tokens fall short).
    public let quality: Double?
    public let reached: Bool
}

extension VTokCodec {
    /// The one place an encoder's budget becomes a file (`vtok encode`, the C library): all tokens
    /// of `image` (of every tile when `tiled`), cut as `budget` says, in `format` (default
    /// `defaultFormat`). A byte budget takes the longest prefix whose whole file fits, in one pass
    /// of the range coder, the same cut `vtok truncate --max-bytes` makes; a quality budget the
    /// shortest prefix that decodes to it (`RateControl`).
    public func encode(_ image: RGBImage, budget: TokenBudget, format: FileFormat? = nil, tiled: Bool = false) throws -> EncodedImage {
        if tiled && fullResolution != nil { throw TokenBudgetError.tilesNeedASquareModel }
        let format = format ?? defaultFormat
        let full: VTokFile
        if case .maxBytes(let maxBytes) = budget, let fullResolution {
            // Layers whose tokens would start past the budget need not be computed: once the
            // tokens so far overflow it, the cut lies among them, and it is the same cut.
            full = wholeImageFile(image, tokens: try fullResolution.tokens(of: image) { tokens in
                try fileBytes(wholeImageFile(image, tokens: tokens), format: format).count > maxBytes
            })
        } else {
            full = encode(image, tiled: tiled)
        }
        func whole(_ file: VTokFile, quality: Double? = nil, reached: Bool = true) throws -> EncodedImage {
            EncodedImage(file: file, bytes: try fileBytes(file, format: format), quality: quality, reached: reached)
        }
        switch budget {
        case .all:
            return try whole(full)
        case .tokens(let count):
            guard count <= full.tokenCount else {
                throw TokenBudgetError.moreTokensThanTheModelHas(requested: count, available: full.tokenCount, tiled: tiled)
            }
            return try whole(full.truncated(toTokens: count))
        case .maxBytes(let maxBytes):
            guard let (bytes, kept) = try full.serialized(format: format, model: modelCoding, maxBytes: maxBytes),
                  kept > 0 || full.tokenCount == 0 else {
                let smallest = try fileSizes(full.truncated(toTokens: 1), format: format)[1]
                throw TokenBudgetError.byteBudgetHoldsNoToken(maxBytes: maxBytes, tiles: full.tokens.count, smallestUsefulBytes: smallest)
            }
            return EncodedImage(file: full.truncated(toTokens: kept), bytes: bytes, quality: nil, reached: true)
        case .targetPSNR(let target):
            let choice = try RateControl.tokens(for: full, reaching: target) { PSNR.rgb(image, try decode($0)) }
            return try whole(full.truncated(toTokens: choice.tokens), quality: choice.quality, reached: choice.reached)
        }
    }
}

/// Choosing how many tokens to keep: by a byte budget, or by the quality they decode to. The
/// encoder knows all K tokens, so it can decode candidate prefixes and keep the shortest that is
/// good enough (One-D-Piece's quality control).
public enum RateControl {
    /// The most tokens per tile whose whole file fits in `maxBytes`, given `fileSizes[k]`, the size
    /// of the k-token file (`VTokCodec.fileSizes`); nil when not even the header fits.
    public static func tokens(fileSizes: [Int], maxBytes: Int) -> Int? {
        fileSizes.lastIndex { $0 <= maxBytes }
    }

    /// The fewest tokens per tile whose decoded quality reaches `target`, found by bisection over
    /// 0...tokenCount (quality grows with k for a tail-drop-trained model, so about log2(K) decodes
    /// suffice). Returns the full count, with `reached == false`, when even all tokens fall short.
    public static func tokens(for file: VTokFile, reaching target: Double,
                              quality: (VTokFile) throws -> Double) rethrows -> (tokens: Int, quality: Double, reached: Bool) {
        let full = try quality(file)
        guard full >= target else { return (file.tokenCount, full, false) }
        var low = 0, high = file.tokenCount, best = full
        // Invariant: `high` tokens reach the target; fewer than `low` were not found to.
        while low < high {
            let middle = (low + high) / 2
            let value = try quality(file.truncated(toTokens: middle))
            if value >= target {
                high = middle
                best = value
            } else {
                low = middle + 1
            }
        }
        return (high, best, true)
    }
}
