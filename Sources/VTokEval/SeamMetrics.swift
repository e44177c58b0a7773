import VTokImage

/// How visible tile borders are: the PSNR of the pixels near the borders between tiles, against
/// the PSNR of the rest. A codec that decodes tiles independently shows its seams as a band whose
/// PSNR falls well below the interiors'; a seamless one scores both alike.
public struct SeamScores: Equatable, Sendable, Encodable {
    /// PSNR (8-bit RGB) over the pixels within bandWidth/2 of an internal tile border.
    public let band: Double
    /// PSNR over every other pixel.
    public let interior: Double
    public let bandPixels: Int
    public let interiorPixels: Int

    /// Tiles are `tileSide` squares from the top left; the band is `bandWidth` pixels wide, centred
    /// on each internal border (half on each side). nil when the image has no internal border.
    public init?(reference: RGBImage, distorted: RGBImage, tileSide: Int, bandWidth: Int = 8) {
        precondition(reference.width == distorted.width && reference.height == distorted.height, "SeamScores: sizes differ")
        precondition(tileSide > 0 && bandWidth > 0 && bandWidth % 2 == 0, "SeamScores: tile \(tileSide), band \(bandWidth)")
        guard reference.width > tileSide || reference.height > tileSide else { return nil }
        let half = bandWidth / 2
        /// Whether coordinate v lies within `half` of an internal border at a multiple of the side.
        func nearBorder(_ v: Int, length: Int) -> Bool {
            let offset = v % tileSide
            let border = offset < half ? v - offset : v - offset + tileSide
            return border > 0 && border < length && (offset < half || offset >= tileSide - half)
        }
        var sums = (band: 0, interior: 0), counts = (band: 0, interior: 0)
        for y in 0..<reference.height {
            let rowNear = nearBorder(y, length: reference.height)
            for x in 0..<reference.width {
                var error = 0
                for c in 0..<3 {
                    let i = (y * reference.width + x) * 3 + c
                    let d = Int(reference.pixels[i]) - Int(distorted.pixels[i])
                    error += d * d
                }
                if rowNear || nearBorder(x, length: reference.width) {
                    sums.band += error
                    counts.band += 1
                } else {
                    sums.interior += error
                    counts.interior += 1
                }
            }
        }
        band = PSNR.fromMSE(Double(sums.band) / Double(max(3 * counts.band, 1)))
        interior = PSNR.fromMSE(Double(sums.interior) / Double(max(3 * counts.interior, 1)))
        bandPixels = counts.band
        interiorPixels = counts.interior
    }
}
