/// The EXIF Orientation tag (0x0112) of a JPEG, applied on decode so that images come out the way
/// cameras and viewers show them.
///
/// Values 1-8 as in EXIF 2.3 / TIFF 6.0: 1 as stored, 2 mirrored left-right, 3 turned 180°,
/// 4 mirrored top-bottom, 5 transposed (mirrored about the main diagonal), 6 turned 90° clockwise,
/// 7 transversed (mirrored about the other diagonal), 8 turned 90° counter-clockwise. Orientations
/// 5-8 swap width and height. A missing, malformed or out-of-range tag means 1.
public enum ExifOrientation {
    /// The orientation in the first APP1 "Exif" segment before the scan, or nil when there is none
    /// (or it is malformed). Every read is bounds-checked: hostile bytes give nil, never a trap.
    public static func read<Bytes: RandomAccessCollection>(jpeg data: Bytes) -> Int? where Bytes.Element == UInt8, Bytes.Index == Int {
        let bytes = data
        let start = bytes.startIndex, end = bytes.endIndex
        guard end - start >= 4, bytes[start] == 0xFF, bytes[start + 1] == 0xD8 else { return nil }
        var position = start + 2
        while position + 4 <= end {
            guard bytes[position] == 0xFF else { return nil }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }                           // fill byte
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { position += 2; continue } // no length
            if marker == 0xD9 || marker == 0xDA { return nil }                     // EOI, start of scan
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            guard length >= 2, position + 2 + length <= end else { return nil }
            let segment = (position + 4)..<(position + 2 + length)
            if marker == 0xE1, let orientation = orientation(inExif: bytes, segment) { return orientation }
            position += 2 + length
        }
        return nil
    }

    /// The tag from an APP1 payload: "Exif\0\0", then a TIFF header and IFD0.
    private static func orientation<Bytes: RandomAccessCollection>(inExif bytes: Bytes, _ segment: Range<Int>) -> Int?
        where Bytes.Element == UInt8, Bytes.Index == Int {
        let exif: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]
        guard segment.count >= 6 + 8, bytes[segment.lowerBound..<segment.lowerBound + 6].elementsEqual(exif) else { return nil }
        let tiff = segment.lowerBound + 6, tiffEnd = segment.upperBound
        let littleEndian: Bool
        switch (bytes[tiff], bytes[tiff + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            let at = tiff + offset
            guard offset >= 0, at + 2 <= tiffEnd else { return nil }
            return littleEndian ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }
        func u32(_ offset: Int) -> Int? {
            guard let a = u16(offset), let b = u16(offset + 2) else { return nil }
            return littleEndian ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            guard tag == 0x0112 else { continue }
            // SHORT (type 3), one value, held in the first two bytes of the value field.
            guard u16(at + 2) == 3, u32(at + 4) == 1, let value = u16(at + 8), (1...8).contains(value) else { return nil }
            return value
        }
        return nil
    }
}

extension RGBImage {
    /// This image as a viewer shows it under EXIF `orientation` (1-8; anything else returns it unchanged).
    public func oriented(exif orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let swaps = orientation >= 5
        let outWidth = swaps ? height : width, outHeight = swaps ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        // The stored pixel shown at (x, y).
                        let (sx, sy): (Int, Int)
                        switch orientation {
                        case 2: (sx, sy) = (width - 1 - x, y)
                        case 3: (sx, sy) = (width - 1 - x, height - 1 - y)
                        case 4: (sx, sy) = (x, height - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, height - 1 - x)
                        case 7: (sx, sy) = (width - 1 - y, height - 1 - x)
                        default: (sx, sy) = (width - 1 - y, x) // 8
                        }
                        let from = (sy * width + sx) * 3, to = (y * outWidth + x) * 3
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
