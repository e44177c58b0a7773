import CSHA256

/// SHA-256 (FIPS 180-4). vtok names a model by a prefix of the SHA-256 of its weights file (`ModelID`),
/// so the hash must be bit-exact on every platform without depending on a crypto library.
///
/// ```swift
/// let digest = SHA256.hash(weightsBytes)        // 32 bytes
/// var hasher = SHA256(); hasher.update(part1); hasher.update(part2); let same = hasher.finalize()
/// ```
public struct SHA256: Sendable {
    public static let digestSize = 32

    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    /// Bytes received but not yet hashed: always fewer than one 64-byte block.
    private var pending: [UInt8] = []
    private var messageLength: UInt64 = 0

    /// Whether the blocks go through the CPU's SHA instructions (`CSHA256`), where it has them; the
    /// portable Swift rounds below otherwise. Both give the same digest (tested against each other).
    let usesHardware: Bool
    static let hardwareAvailable = vtok_sha256_hardware_available() != 0

    public init() { self.init(usesHardware: SHA256.hardwareAvailable) }

    init(usesHardware: Bool) { self.usesHardware = usesHardware && SHA256.hardwareAvailable }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more message bytes; a large file can be hashed in pieces of any size.
    public mutating func update(_ bytes: [UInt8]) {
        messageLength &+= UInt64(bytes.count)
        var start = 0
        if !pending.isEmpty {
            let fill = min(64 - pending.count, bytes.count)
            pending += bytes[0..<fill]
            start = fill
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { compress(blocks: $0) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = (bytes.count - start) / 64 * 64
        if whole > 0 { bytes.withUnsafeBytes { compress(blocks: UnsafeRawBufferPointer(rebasing: $0[start..<start + whole])) } }
        pending += bytes[(start + whole)...]
    }

    /// The 32-byte digest of everything fed so far.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = messageLength &* 8
        // Padding: one 1 bit, zeros up to 56 mod 64 bytes, then the message length in bits, big-endian.
        var tail: [UInt8] = [0x80]
        tail += [UInt8](repeating: 0, count: (119 - pending.count) % 64)
        tail += (0..<8).map { UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64($0))) }
        copy.update(tail)
        return copy.state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }

    /// Hashes whole 64-byte blocks. The schedule lives on the stack and the state in locals: a
    /// model file is megabytes, and an allocation per block made hashing it most of loading it.
    private mutating func compress(blocks: UnsafeRawBufferPointer) {
        if usesHardware {
            let data = blocks.baseAddress!.assumingMemoryBound(to: UInt8.self)
            SHA256.roundConstants.withUnsafeBufferPointer { constants in
                state.withUnsafeMutableBufferPointer {
                    vtok_sha256_hardware_compress($0.baseAddress!, data, blocks.count / 64, constants.baseAddress!)
                }
            }
            return
        }
        var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
        var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            SHA256.roundConstants.withUnsafeBufferPointer { constants in
                for offset in stride(from: 0, to: blocks.count, by: 64) {
                    for t in 0..<16 {
                        schedule[t] = UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: offset + 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let w15 = schedule[t - 15], w2 = schedule[t - 2]
                        let sigma0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)
                        let sigma1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10)
                        schedule[t] = schedule[t - 16] &+ sigma0 &+ schedule[t - 7] &+ sigma1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ sum1 &+ choose &+ constants[t] &+ schedule[t]
                        let sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = sum0 &+ majority
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = [h0, h1, h2, h3, h4, h5, h6, h7]
    }

    @inline(__always)
    private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
}
