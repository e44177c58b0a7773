extension RGBImage {
    /// The image as three planes R, G, B (CHW order, `3 * width * height` values), each sample `v / 255`
    /// in [0, 1]: the tensor layout the tokenizer consumes.
    public func planarFloats() -> [Float] {
        let planeSize = width * height
        return [Float](unsafeUninitializedCapacity: 3 * planeSize) { planes, initialized in
            pixels.withUnsafeBufferPointer { rgb in
                for i in 0..<planeSize {
                    planes[i] = Float(rgb[3 * i]) / 255
                    planes[planeSize + i] = Float(rgb[3 * i + 1]) / 255
                    planes[2 * planeSize + i] = Float(rgb[3 * i + 2]) / 255
                }
            }
            initialized = 3 * planeSize
        }
    }

    /// The inverse of `planarFloats()`: CHW planes in [0, 1] to 8-bit RGB, each value scaled by 255,
    /// rounded to nearest and clamped (values outside [0, 1] saturate, NaN becomes 0).
    public init(planarFloats planes: [Float], width: Int, height: Int) {
        let planeSize = width * height
        precondition(width > 0 && height > 0 && planes.count == 3 * planeSize,
                     "RGBImage(planarFloats:): \(planes.count) values for 3x\(width)x\(height)")
        let rgb = [UInt8](unsafeUninitializedCapacity: 3 * planeSize) { rgb, initialized in
            planes.withUnsafeBufferPointer { planes in
                for i in 0..<planeSize {
                    rgb[3 * i] = RGBImage.byte(planes[i] * 255)
                    rgb[3 * i + 1] = RGBImage.byte(planes[planeSize + i] * 255)
                    rgb[3 * i + 2] = RGBImage.byte(planes[2 * planeSize + i] * 255)
                }
            }
            initialized = 3 * planeSize
        }
        self.init(width: width, height: height, pixels: rgb)
    }
}
