import Foundation
import XCTest
@testable import VTokNN

final class WeightsFileTests: XCTestCase {
    // MARK: Round trips

    /// Finite values of every kind float32 has, plus the non-finite ones.
    private func awkwardValues(count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let special: [Float] = [0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNormalMagnitude / 3,
                                .greatestFiniteMagnitude, -3e38, .infinity, -.infinity, .nan, Float(bitPattern: 0x0001_2345)]
        return special + (0..<count).map { _ in random.normal() * Float(pow(10.0, Double(random.int(in: -6...6)))) }
    }

    func testFloat32RoundTripIsBitExact() throws {
        let values = awkwardValues(count: 500, seed: 1)
        let file = WeightsFile(tensors: [
            NamedTensor(name: "w", shape: [values.count / 2, 2], values: values),
            NamedTensor(name: "empty", shape: [0, 3], values: []),
            NamedTensor(name: "scalar", shape: [], values: [-0.0]),
        ], metadata: ["vtok.config": #"{"dim": 8}"#])
        let read = try WeightsFile(bytes: file.serialized(as: .float32))
        XCTAssertEqual(read.metadata, file.metadata)
        XCTAssertEqual(read.tensors.map(\.name), ["empty", "scalar", "w"])
        for tensor in file.tensors {
            let readTensor = try XCTUnwrap(read[tensor.name])
            XCTAssertEqual(readTensor.shape, tensor.shape)
            XCTAssertEqual(readTensor.values.map(\.bitPattern), tensor.values.map(\.bitPattern), tensor.name)
        }
    }

    func testHalfRoundTripsWithinTheirRounding() throws {
        // Relative error of round-to-nearest is half an ulp: 2^-11 for F16 normals (10 mantissa
        // bits), 2^-8 for BF16 (7 mantissa bits). F16 normals span [2^-14, 65504].
        var random = SeededRandom(seed: 2)
        let halfRange = (0..<2000).map { _ in (random.uniform() < 0.5 ? -1 : 1) * Float(pow(2.0, Double(random.uniform() * 29 - 14))) }
        let wideRange = awkwardValues(count: 2000, seed: 3).filter { $0.isFinite && abs($0) >= .leastNormalMagnitude && abs($0) < 3e38 }
        for (dtype, values, bound) in [(TensorDType.float16, halfRange, Float(0x1p-11)), (.bfloat16, wideRange, Float(0x1p-8))] {
            let file = WeightsFile(tensors: [NamedTensor(name: "x", shape: [values.count], values: values)])
            let bytes = try file.serialized(as: dtype)
            let read = try XCTUnwrap(WeightsFile(bytes: bytes)["x"]).values
            for (original, rounded) in zip(values, read) {
                XCTAssertLessThanOrEqual(abs(rounded - original), bound * abs(original), "\(dtype) \(original) -> \(rounded)")
            }
            XCTAssertEqual(bytes.count, 8 + Int(bytes[0]) + Int(bytes[1]) << 8 + 2 * values.count)
        }
    }

    func testKnownFloat16BitPatterns() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3C00), (-2, 0xC000), (0.1, 0x2E66), (65504, 0x7BFF), (-0.0, 0x8000), (0, 0x0000),
            (65519, 0x7BFF), (65520, 0x7C00),  // the tie between 65504 and 65536 goes to even: infinity
            (1 + 0x1p-11, 0x3C00), (1 + 0x1p-10 + 0x1p-11, 0x3C02),  // ties to even
            (0x1p-24, 0x0001), (0x1p-25, 0x0000), (0x1.8p-24, 0x0002), (0x1p-14, 0x0400),  // subnormals
            (.infinity, 0x7C00), (-.infinity, 0xFC00), (1e10, 0x7C00),
        ]
        for (value, bits) in cases {
            XCTAssertEqual(float16Bits(value), bits, "\(value)")
        }
        for (bits, value) in [(UInt16(0x3C00), Float(1)), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 0x1.ff8p-15),
                              (0x7C00, .infinity), (0xFC00, -.infinity), (0x8000, -0.0)] {
            XCTAssertEqual(float(fromFloat16Bits: bits).bitPattern, value.bitPattern, "\(bits)")
        }
        XCTAssertTrue(float(fromFloat16Bits: float16Bits(.nan)).isNaN)
        XCTAssertTrue(float(fromFloat16Bits: float16Bits(-.signalingNaN)).isNaN)
        XCTAssertTrue(float(fromFloat16Bits: 0x7C01).isNaN)
    }

    func testKnownBFloat16BitPatterns() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (-0.0, 0x8000), (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (1 + 0x1p-8, 0x3F80), (1 + 0x1p-7 + 0x1p-8, 0x3F82),  // ties to even
            (1 + 0x1p-8 + 0x1p-20, 0x3F81),  // just above the tie
            (.greatestFiniteMagnitude, 0x7F80),  // above the last tie below infinity
            (.leastNonzeroMagnitude, 0x0000),
        ]
        for (value, bits) in cases {
            XCTAssertEqual(bfloat16Bits(value), bits, "\(value)")
        }
        XCTAssertEqual(float(fromBFloat16Bits: 0x3F80), 1)
        // A NaN whose payload sits only in the low bits must not round to infinity.
        XCTAssertTrue(float(fromBFloat16Bits: bfloat16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertTrue(float(fromBFloat16Bits: bfloat16Bits(-.nan)).isNaN)
    }

    func testBFloat16RoundsToNearestEvenEverywhere() {
        // Independent reference: pick the nearer of the two bfloat16 neighbours in Double.
        var random = SeededRandom(seed: 4)
        for _ in 0..<100_000 {
            var bits = UInt32(truncatingIfNeeded: random.next())
            if random.uniform() < 0.1 { bits = bits & 0xFFFF_0000 | 0x8000 }  // exact ties
            let x = Float(bitPattern: bits)
            guard x.isFinite, abs(x) < Float(bitPattern: 0x7F7F_0000) else { continue }
            let below = bits >> 16
            let above = below + 1
            let distanceBelow = abs(Double(x) - Double(Float(bitPattern: below << 16)))
            let distanceAbove = abs(Double(x) - Double(Float(bitPattern: above << 16)))
            let nearest = distanceBelow < distanceAbove || (distanceBelow == distanceAbove && below & 1 == 0) ? below : above
            XCTAssertEqual(UInt32(bfloat16Bits(x)), nearest, "\(x)")
        }
    }

    #if !(os(macOS) && arch(x86_64))  // Swift has no Float16 there
    func testFloat16MatchesSwiftFloat16() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = float(fromFloat16Bits: bits)
            if expected.isNaN { XCTAssertTrue(actual.isNaN); continue }
            XCTAssertEqual(actual.bitPattern, expected.bitPattern, "\(bits)")
        }
        // Every rounding boundary: each half's midpoint with the next one, and the floats around it.
        var inputs: [Float] = []
        for bits in UInt16(0)..<0x7C00 {
            let midpoint = Float((Double(Float16(bitPattern: bits)) + Double(Float16(bitPattern: bits + 1))) / 2)
            inputs += [midpoint, midpoint.nextUp, midpoint.nextDown, -midpoint, Float(Float16(bitPattern: bits))]
        }
        var random = SeededRandom(seed: 5)
        inputs += (0..<100_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        for x in inputs where !x.isNaN {
            XCTAssertEqual(float16Bits(x), Float16(x).bitPattern, "\(x)")
        }
        XCTAssertEqual(floats(fromFloat16Bits: float16Bits(inputs.filter { !$0.isNaN })).map(\.bitPattern),
                       inputs.filter { !$0.isNaN }.map { Float(Float16($0)).bitPattern })
    }
    #endif

    // MARK: Interoperability with the reference implementation

    /// What `safetensors.numpy.save` (safetensors 0.8.0) writes for
    /// {"a": float32 [[1, -2], [3, 1e-45]], "b": float32 [0.5, -0.0]}, metadata
    /// {"vtok.config": #"{"dim": 8, "name": "tiny\n"}"#}; and the same tensors as float16.
    private static let referenceFloat32 = bytes(hex: """
        b8000000000000007b225f5f6d657461646174615f5f223a7b2276746f6b2e636f6e666967223a227b5c2264696d5c223a20382c\
        205c226e616d655c223a205c2274696e795c5c6e5c227d227d2c2261223a7b226474797065223a22463332222c22736861706522\
        3a5b322c325d2c22646174615f6f666673657473223a5b302c31365d7d2c2262223a7b226474797065223a22463332222c227368\
        617065223a5b325d2c22646174615f6f666673657473223a5b31362c32345d7d7d2020200000803f000000c00000404001000000\
        0000003f00000080
        """)
    private static let referenceFloat16 = bytes(hex: """
        b8000000000000007b225f5f6d657461646174615f5f223a7b2276746f6b2e636f6e666967223a227b5c2264696d5c223a20382c\
        205c226e616d655c223a205c2274696e795c5c6e5c227d227d2c2261223a7b226474797065223a22463136222c22736861706522\
        3a5b322c325d2c22646174615f6f666673657473223a5b302c385d7d2c2262223a7b226474797065223a22463136222c22736861\
        7065223a5b325d2c22646174615f6f666673657473223a5b382c31325d7d7d2020202020003c00c00042000000380080
        """)
    private static let referenceTensors = WeightsFile(tensors: [
        NamedTensor(name: "b", shape: [2], values: [0.5, -0.0]),  // out of order: the writer sorts
        NamedTensor(name: "a", shape: [2, 2], values: [1, -2, 3, .leastNonzeroMagnitude]),
    ], metadata: ["vtok.config": #"{"dim": 8, "name": "tiny\n"}"#])

    func testWritesTheReferenceBytes() throws {
        XCTAssertEqual(try Self.referenceTensors.serialized(as: .float32), Self.referenceFloat32)
        XCTAssertEqual(try Self.referenceTensors.serialized(as: .float16), Self.referenceFloat16)
    }

    func testReadsTheReferenceFiles() throws {
        let read32 = try WeightsFile(bytes: Self.referenceFloat32)
        XCTAssertEqual(read32.metadata, Self.referenceTensors.metadata)
        XCTAssertEqual(read32["a"], NamedTensor(name: "a", shape: [2, 2], values: [1, -2, 3, .leastNonzeroMagnitude]))
        XCTAssertEqual(read32["b"]?.values.map(\.bitPattern), [Float(0.5).bitPattern, Float(-0.0).bitPattern])
        let read16 = try WeightsFile(bytes: Self.referenceFloat16)
        XCTAssertEqual(read16["a"]?.values, [1, -2, 3, 0])  // 1e-45 is below half's smallest subnormal
    }

    func testReadsAReferenceFileWithMixedDtypesAndAnEmptyTensor() throws {
        // safetensors.numpy.save({"w": float32 [[1, -2, 0.5], [3.25, -0.0, 65504]],
        //   "b": float16 [1, -1.5, 0.333251953125], "e": float32 zeros (0, 4)},
        //   metadata={"vtok.config": '{"dim": 8}', "format": "np"}): F32 before F16, metadata unsorted.
        let file = try WeightsFile(bytes: Self.bytes(hex: """
            e8000000000000007b225f5f6d657461646174615f5f223a7b2276746f6b2e636f6e666967223a227b5c2264696d5c223a2038\
            7d222c22666f726d6174223a226e70227d2c2265223a7b226474797065223a22463332222c227368617065223a5b302c345d2c22\
            646174615f6f666673657473223a5b302c305d7d2c2277223a7b226474797065223a22463332222c227368617065223a5b322c33\
            5d2c22646174615f6f666673657473223a5b302c32345d7d2c2262223a7b226474797065223a22463136222c227368617065223a\
            5b335d2c22646174615f6f666673657473223a5b32342c33305d7d7d20202020200000803f000000c00000003f00005040000000\
            8000e07f47003c00be5535
            """))
        XCTAssertEqual(file.metadata, ["vtok.config": #"{"dim": 8}"#, "format": "np"])
        XCTAssertEqual(file.tensors.map(\.name), ["e", "w", "b"])
        XCTAssertEqual(file["e"], NamedTensor(name: "e", shape: [0, 4], values: []))
        XCTAssertEqual(file["w"], NamedTensor(name: "w", shape: [2, 3], values: [1, -2, 0.5, 3.25, -0.0, 65504]))
        XCTAssertEqual(file["b"], NamedTensor(name: "b", shape: [3], values: [1, -1.5, 0.333251953125]))
    }

    func testMetadataWithCharactersJSONMustEscape() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} é 漢字 🙂 /slash"
        let file = WeightsFile(tensors: [NamedTensor(name: "naïve \"name\"", shape: [1], values: [2])],
                               metadata: [awkward: awkward, "": ""])
        let read = try WeightsFile(bytes: file.serialized(as: .float32))
        XCTAssertEqual(read.metadata, file.metadata)
        XCTAssertEqual(read.tensors, file.tensors)
        XCTAssertEqual(try file.serialized(as: .float32)[0] % 8, 0, "header length a multiple of 8")
    }

    func testWritesAndReadsAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-weights-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.referenceTensors.write(to: path, as: .float32)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), Self.referenceFloat32)
        XCTAssertEqual(try WeightsFile(contentsOf: path).tensors, try WeightsFile(bytes: Self.referenceFloat32).tensors)
        XCTAssertThrowsError(try WeightsFile(contentsOf: path + ".missing"))
    }

    func testRefusesToWriteInconsistentTensors() {
        for tensors in [
            [NamedTensor(name: "a", shape: [1], values: [1]), NamedTensor(name: "a", shape: [1], values: [2])],
            [NamedTensor(name: "a", shape: [2], values: [1])],
            [NamedTensor(name: "__metadata__", shape: [1], values: [1])],
        ] {
            XCTAssertThrowsError(try WeightsFile(tensors: tensors).serialized(as: .float32)) { error in
                guard case WeightsFileError.malformed = error else { return XCTFail("\(error)") }
            }
        }
    }

    // MARK: Loading into a model

    private func model() -> [Parameter] {
        [Parameter(name: "embed.weight", shape: [3, 2], value: [1, 2, 3, 4, 5, 6], decays: false),
         Parameter(name: "proj.weight", shape: [2, 2], value: [7, 8, 9, 10], decays: true),
         Parameter(name: "proj.bias", shape: [2], value: [11, 12], decays: false)]
    }

    private func assertMismatch(_ file: WeightsFile, into parameters: [Parameter], prefix: String = "",
                                _ expected: [String], line: UInt = #line) {
        let before = parameters.map(\.value)
        XCTAssertThrowsError(try file.load(into: parameters, prefix: prefix), line: line) { error in
            XCTAssertEqual(error as? WeightsFileError, .mismatch(expected), line: line)
        }
        XCTAssertEqual(parameters.map(\.value), before, "a failed load must change nothing", line: line)
    }

    func testLoadsIntoMatchingParameters() throws {
        var file = WeightsFile()
        file.add(model())
        let fresh = model()
        for parameter in fresh { parameter.value = parameter.value.map { -$0 } }
        try WeightsFile(bytes: file.serialized(as: .float32)).load(into: fresh)
        XCTAssertEqual(fresh.map(\.value), model().map(\.value))

        var prefixed = WeightsFile(tensors: [NamedTensor(name: "other", shape: [1], values: [0])])
        prefixed.add(model(), prefix: "model.")
        let again = model()
        for parameter in again { parameter.value = parameter.value.map { _ in 0 } }
        try prefixed.load(into: again, prefix: "model.")
        XCTAssertEqual(again.map(\.value), model().map(\.value))
    }

    /// A model built to be loaded draws no random values (its parameters start at 0), and the
    /// switch ends with the build: a model built afterwards from the same seed is the seed's.
    func testAModelBuiltToBeLoadedDrawsNoRandomValues() throws {
        func convolution() -> Conv2d {
            var rng = SeededRandom(seed: 7)
            return Conv2d(name: "conv", inputChannels: 3, outputChannels: 4, kernelSize: 3, rng: &rng)
        }
        let drawn = convolution().weight.value
        XCTAssertTrue(drawn.contains { $0 != 0 })
        let placeholder = Parameter.withoutInitialValues { convolution() }
        XCTAssertEqual(placeholder.weight.value, [Float](repeating: 0, count: drawn.count))
        XCTAssertEqual(placeholder.weight.shape, [4, 3, 3, 3])
        XCTAssertEqual(convolution().weight.value, drawn)

        var file = WeightsFile()
        file.add(convolution().parameters)
        let loaded = Parameter.withoutInitialValues { convolution() }
        try WeightsFile(bytes: file.serialized(as: .float32)).load(into: loaded.parameters)
        XCTAssertEqual(loaded.weight.value, drawn)
    }

    /// A warm start: shared tensors copied, parameters the file lacks returned untouched, tensors of
    /// no parameter ignored; a misshapen tensor is an error that copies nothing.
    func testLoadSharedCopiesWhatBothHave() throws {
        var file = WeightsFile(tensors: [NamedTensor(name: "head.weight", shape: [1], values: [0])])
        file.add(Array(model().prefix(2)))
        let parameters = model()
        for parameter in parameters { parameter.value = parameter.value.map { -$0 } }
        let fresh = try file.loadShared(into: parameters)
        XCTAssertEqual(fresh.map(\.name), ["proj.bias"])
        XCTAssertEqual(parameters.map(\.value), Array(model().map(\.value).prefix(2)) + [[-11, -12]])

        file.tensors[1] = NamedTensor(name: "embed.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let before = parameters.map(\.value)
        XCTAssertThrowsError(try file.loadShared(into: parameters)) { error in
            XCTAssertEqual(error as? WeightsFileError,
                           .mismatch(["shape of embed.weight is [2, 3] in the file but the model expects [3, 2]"]))
        }
        XCTAssertEqual(parameters.map(\.value), before)
    }

    func testLoadNamesEveryMismatch() {
        var file = WeightsFile()
        file.add(model())
        let parameters = model()

        var missing = file
        missing.tensors.removeAll { $0.name == "proj.bias" }
        assertMismatch(missing, into: parameters, ["missing tensor proj.bias"])

        var unexpected = file
        unexpected.tensors.append(NamedTensor(name: "head.weight", shape: [1], values: [0]))
        assertMismatch(unexpected, into: parameters, ["unexpected tensor head.weight"])

        var misshapen = file
        misshapen.tensors[1] = NamedTensor(name: "proj.weight", shape: [4, 1], values: [7, 8, 9, 10])
        assertMismatch(misshapen, into: parameters, ["shape of proj.weight is [4, 1] in the file but the model expects [2, 2]"])

        var all = misshapen
        all.tensors.removeFirst()
        all.tensors.append(NamedTensor(name: "extra", shape: [], values: [0]))
        assertMismatch(all, into: parameters, [
            "missing tensor embed.weight",
            "shape of proj.weight is [4, 1] in the file but the model expects [2, 2]",
            "unexpected tensor extra",
        ])

        assertMismatch(file, into: parameters, prefix: "model.",
                       ["missing tensor model.embed.weight", "missing tensor model.proj.weight", "missing tensor model.proj.bias"])
        XCTAssertTrue(WeightsFileError.mismatch(["missing tensor x", "unexpected tensor y"]).description
            .contains("missing tensor x; unexpected tensor y"))
    }

    // MARK: Malformed files

    private func assertMalformed(_ bytes: [UInt8], _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try WeightsFile(bytes: bytes), line: line) { error in
            guard case WeightsFileError.malformed(let message) = error else { return XCTFail("\(error)", line: line) }
            XCTAssertTrue(message.contains(fragment), "\"\(message)\" lacks \"\(fragment)\"", line: line)
        }
    }

    /// A file with this header text (padded as the writer pads) and `dataLength` zero bytes of data.
    private func file(header: String, dataLength: Int) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) } + headerBytes
            + [UInt8](repeating: 0, count: dataLength)
    }

    func testRejectsEachKindOfMalformedFile() {
        func tensor(_ name: String, _ dtype: String = "F32", _ shape: String = "[2]", offsets: String) -> String {
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
        }
        assertMalformed([1, 2, 3], "too short")
        assertMalformed([255, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "header length 255 exceeds")
        assertMalformed([0, 0, 0, 0, 0, 0, 0, 0x80], "header length")  // 2^63: must not overflow
        assertMalformed(file(header: "{\"a\":", dataLength: 0), "not the expected JSON")
        assertMalformed(file(header: "[1, 2]", dataLength: 0), "not the expected JSON")
        assertMalformed(file(header: "{\"__metadata__\":{\"k\":1}}", dataLength: 0), "not the expected JSON")
        assertMalformed(file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", dataLength: 8), "not the expected JSON")
        assertMalformed(file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", dataLength: 8), "not the expected JSON")
        assertMalformed(file(header: "{" + tensor("a", "F64", "[2]", offsets: "[0,16]") + "}", dataLength: 16), "unsupported dtype F64")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[0,8,16]") + "}", dataLength: 8), "is not [begin, end]")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[8,0]") + "}", dataLength: 8), "out of order")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[-8,0]") + "}", dataLength: 8), "out of order")
        assertMalformed(file(header: "{" + tensor("a", "F32", "[-2]", offsets: "[0,0]") + "}", dataLength: 0), "negative dimension")
        assertMalformed(file(header: "{" + tensor("a", "F32", "[4294967296,4294967296]", offsets: "[0,8]") + "}", dataLength: 8), "too large")
        assertMalformed(file(header: "{" + tensor("a", "F32", "[3]", offsets: "[0,8]") + "}", dataLength: 8), "needs 12 bytes")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[0,8]") + "," + tensor("b", offsets: "[4,12]") + "}", dataLength: 12), "gap or overlap")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[0,8]") + "," + tensor("b", offsets: "[12,20]") + "}", dataLength: 20), "gap or overlap")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[8,16]") + "}", dataLength: 16), "gap or overlap")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[0,8]") + "}", dataLength: 4), "past the 4 data bytes")
        assertMalformed(file(header: "{" + tensor("a", offsets: "[0,8]") + "}", dataLength: 9), "cover 8 of the 9")
    }

    func testEveryTruncationIsAnError() throws {
        let bytes = try Self.referenceTensors.serialized(as: .bfloat16)
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try WeightsFile(bytes: Array(bytes[0..<length])), "truncated to \(length)")
        }
    }

    func testCorruptedFilesNeverCrash() throws {
        let bytes = try Self.referenceTensors.serialized(as: .float32)
        var random = SeededRandom(seed: 6)
        let jsonCharacters = Array("{}[]\",:0123456789-e. ".utf8)
        var rejected = 0
        for _ in 0..<5000 {
            var corrupted = bytes
            for _ in 0..<random.int(in: 1...3) {
                // Mostly the header (length included), where the parser's decisions are.
                let position = random.int(in: 0...(random.uniform() < 0.9 ? 8 + Int(bytes[0]) - 1 : bytes.count - 1))
                corrupted[position] = random.uniform() < 0.5
                    ? UInt8(truncatingIfNeeded: random.next())
                    : jsonCharacters[random.int(in: 0...(jsonCharacters.count - 1))]
            }
            if (try? WeightsFile(bytes: corrupted)) == nil { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 2500, "most corruptions of the header should be caught")
    }

    // MARK: Helpers

    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x09 }
}
