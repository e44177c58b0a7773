import XCTest
@testable import VTokNN

final class BLASRuntimeTests: XCTestCase {
    func testCorenameIsKnown() {
        XCTAssertFalse(BLASRuntime.corename.isEmpty)
        XCTAssertGreaterThanOrEqual(BLASRuntime.threadCount, 1)
    }

    func testCoretypeFromCPUFlags() {
        let skylake = "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni\n"
        XCTAssertEqual(BLASRuntime.coretype(forCPUFlags: skylake), "SkylakeX")
        XCTAssertEqual(BLASRuntime.coretype(forCPUFlags: "flags : fpu sse2 avx avx2 fma avx512f"), "Haswell",
                       "avx512f without bw/vl is not a SkylakeX kernel target")
        XCTAssertEqual(BLASRuntime.coretype(forCPUFlags: "flags : fpu sse2 avx avx2 fma bmi2"), "Haswell")
        XCTAssertNil(BLASRuntime.coretype(forCPUFlags: "flags : fpu sse2 sse4_2 avx"))
        XCTAssertNil(BLASRuntime.coretype(forCPUFlags: ""))
    }

    func testGenericCorenames() {
        XCTAssertTrue(BLASRuntime.isGeneric(corename: "Prescott"))
        XCTAssertTrue(BLASRuntime.isGeneric(corename: "CORE2"))
        XCTAssertTrue(BLASRuntime.isGeneric(corename: "Sandybridge"))
        XCTAssertFalse(BLASRuntime.isGeneric(corename: "SkylakeX"))
        XCTAssertFalse(BLASRuntime.isGeneric(corename: "Haswell"))
        XCTAssertFalse(BLASRuntime.isGeneric(corename: "Zen"))
    }

    func testReexecutionDecision() {
        let avx512 = "flags : fpu avx2 avx512f avx512bw avx512vl"
        XCTAssertEqual(BLASRuntime.reexecutionCoretype(environment: [:], corename: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASRuntime.reexecutionCoretype(environment: [:], corename: "Prescott", cpuFlags: "flags : avx2"), "Haswell")
        XCTAssertNil(BLASRuntime.reexecutionCoretype(environment: [:], corename: "SkylakeX", cpuFlags: avx512), "already fast")
        XCTAssertNil(BLASRuntime.reexecutionCoretype(environment: [:], corename: "Prescott", cpuFlags: "flags : sse2"), "nothing better")
        XCTAssertNil(BLASRuntime.reexecutionCoretype(environment: ["OPENBLAS_CORETYPE": "Prescott"], corename: "Prescott", cpuFlags: avx512),
                     "the user's choice stands")
        XCTAssertNil(BLASRuntime.reexecutionCoretype(environment: [BLASRuntime.reexecMarker: "1"], corename: "Prescott", cpuFlags: avx512),
                     "no second re-execution when the first did not help")
    }

    func testGemmWithLeadingDimensions() {
        // A (2×2) block read out of a 2×3 buffer, times B (2×2), into C.
        let a: [Float] = [1, 2, 99, 3, 4, 99], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        gemm(m: 2, n: 2, k: 2, a: a, lda: 3, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
    }
}
