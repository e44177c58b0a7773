@testable import VTokContainer
import VTokTestSupport

let testModelID = ModelID(bytes: [0xba, 0x78, 0x16, 0xbf])!

/// A file of random tokens.
func randomFile(width: Int, height: Int, tiles: TileLayout, layout: TokenLayout, tokens count: Int,
                using rng: inout SeededGenerator) -> VTokFile {
    let tileCount = tiles.tileCount(width: width, height: height)
    let limit = UInt64(1) << UInt64(layout.bitsPerToken)
    let tokens = (0..<tileCount).map { _ in (0..<count).map { _ in UInt32(rng.next() % limit) } }
    return VTokFile(width: width, height: height, tiles: tiles, layout: layout, modelID: testModelID, tokens: tokens)
}

/// `bytes` with its header CRC made valid again, so that a mutation reaches the field checks.
func withValidHeaderCRC(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.count >= VTokHeader.size else { return bytes }
    var fixed = bytes
    let crc = crc32(of: fixed[0..<24])
    for i in 0..<4 { fixed[24 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    return fixed
}

/// The error `body` throws, or `nil` if it succeeds.
func thrownError<T>(_ body: () throws(VTokError) -> T) -> VTokError? {
    do { _ = try body(); return nil } catch { return error }
}

func hexBytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}
