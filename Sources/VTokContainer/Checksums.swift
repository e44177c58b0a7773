/// The version 2 checks (spec §16), both seeded with the model id.

/// A CRC-4 with the polynomial x⁴ + x + 1 (ITU's), initial value 0, most significant bit first,
/// no final XOR: it detects every single-bit error and every burst of up to 4 bits.
/// `crc4("123456789") = 0xE`.
func crc4(_ parts: [[UInt8]]) -> UInt8 {
    var register: UInt8 = 0
    for part in parts {
        for byte in part {
            for bit in (0..<8).reversed() {
                let feedback = (register >> 3 ^ byte >> UInt8(bit)) & 1
                register = register << 1 & 0x0F
                if feedback != 0 { register ^= 0x03 }
            }
        }
    }
    return register
}

/// CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR):
/// `crc16("123456789") = 0x29B1`. It detects every error burst of up to 16 bits.
func crc16<S: Sequence>(_ parts: [S]) -> UInt16 where S.Element == UInt8 {
    var crc: UInt16 = 0xFFFF
    for part in parts {
        for byte in part {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? crc << 1 ^ 0x1021 : crc << 1 }
        }
    }
    return crc
}
