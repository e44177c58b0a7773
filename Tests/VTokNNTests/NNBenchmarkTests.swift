import XCTest
@testable import VTokNN

final class NNBenchmarkTests: XCTestCase {
    /// Prints the benchmark in release builds (`make test`); no timing is asserted: the cores are shared.
    func testBenchmarkPrintsNumbers() throws {
        #if DEBUG
        throw XCTSkip("speed is measured in release builds only")
        #else
        let result = NNBenchmark.run()
        print(result.summary)
        let json = try JSONEncoder().encode(result)
        let keys = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any]).keys
        XCTAssertTrue(Set(keys).isSuperset(of: ["sgemm_gflops", "train_step_gflops", "inference_gflops", "corename"]))
        XCTAssertGreaterThan(result.trainStepGFLOPS, 0)
        #endif
    }

    func testSmallConfigurationRuns() throws {
        var configuration = NNBenchmark.Configuration()
        configuration.width = 16
        configuration.heads = 2
        configuration.sequenceLength = 8
        configuration.batchSize = 2
        configuration.blocks = 1
        configuration.repetitions = 1
        let result = NNBenchmark.run(configuration)
        XCTAssertEqual(result.sgemmShapes.count, 4)
        XCTAssertTrue(result.inferenceGFLOPS.isFinite && result.inferenceGFLOPS > 0)
        let decoded = try JSONDecoder().decode(NNBenchmarkResult.self, from: JSONEncoder().encode(result))
        XCTAssertEqual(decoded.configuration, configuration)
    }
}
