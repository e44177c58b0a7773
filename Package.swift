// swift-tools-version:6.0
// vtok: a discrete 1D image tokenizer codec. See README.md for the module map.
import Foundation
import PackageDescription

// Numeric kernels are hot loops over raw buffers; bounds checks there cost more than they catch
// once the gradient checks pass, so release builds of the numeric modules drop them. sqrtf may set
// errno unless told otherwise, which keeps LLVM from vectorising any loop that takes a square root.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo", "-Xcc", "-fno-math-errno"], .when(configuration: .release)),
]

// The wheel's libvtok_c (make wheel, VTOK_WHEEL=1) links the Swift runtime statically and no
// Foundation, only FoundationEssentials, which carries no ICU data. SwiftPM's accessor for a
// target's resources imports Foundation, so that build leaves the model resource out and the wheel
// packs the model file itself.
let shippedModel: [Resource] = ProcessInfo.processInfo.environment["VTOK_WHEEL"] == nil
    ? [.copy("Resources/default-model.safetensors")] : []

let package = Package(
    name: "vtok",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vtok", targets: ["vtok"]),
        .library(name: "VTokImage", targets: ["VTokImage"]),
        .library(name: "VTokContainer", targets: ["VTokContainer"]),
        .library(name: "VTokNN", targets: ["VTokNN"]),
        .library(name: "VTokEval", targets: ["VTokEval"]),
        .library(name: "VTokModel", targets: ["VTokModel"]),
        .library(name: "VTokTraining", targets: ["VTokTraining"]),
        // libvtok_c.so: the C API (Sources/VTokC/API/include/vtok.h) that the Python package loads.
        .library(name: "vtok_c", type: .dynamic, targets: ["VTokC", "VTokCAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system (Debian: libpng-dev, libjpeg62-turbo-dev, zlib1g-dev,
        // libopenblas-dev, libwebp-dev). `make deps` checks for them.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP"),
        // libpng and libjpeg report errors by longjmp, which Swift frames must never be unwound by:
        // a few C functions own the setjmp and hand back plain error codes.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"], path: "Sources/CImageCodecs"),

        // Image I/O: PNG/JPEG in, PNG out, resampling and cropping.
        .target(name: "VTokImage", dependencies: ["CImageCodecs", "CPNG", "CJPEG"]),
        // The .vtok container: header, bit-packed prefix-major payload, truncation (spec/vtok.md).
        .target(name: "VTokContainer", dependencies: ["CZlib", "CSHA256"]),
        // SHA-256 blocks through the CPU's SHA instructions, for hashing model files on load.
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        // NN core: tensors, layers with explicit forward/backward, optimiser, weights files.
        .target(name: "VTokNN", dependencies: ["COpenBLAS"], swiftSettings: numericSettings),
        // The tokenizer: 1D register tokens, group-wise lookup-free quantization, tail-drop decoding.
        // The shipped model ships as a resource: SwiftPM copies it beside the executable, where
        // ModelLocator finds it.
        .target(name: "VTokModel", dependencies: ["VTokNN", "VTokImage", "VTokContainer"],
                exclude: shippedModel.isEmpty ? ["Resources"] : [], resources: shippedModel, swiftSettings: numericSettings),
        // Training: data pipeline, length sampling, the loop, checkpoints and exact resume.
        .target(name: "VTokTraining", dependencies: ["VTokModel", "VTokNN", "VTokImage"],
                swiftSettings: numericSettings),
        // Evaluation: metrics (PSNR, SSIM, MS-SSIM), classical codecs, the report.
        .target(name: "VTokEval", dependencies: ["VTokImage", "VTokContainer", "VTokModel", "CWebP", "CJPEG"], swiftSettings: numericSettings),
        // The thin command-line front end.
        .executableTarget(name: "vtok", dependencies: [
            "VTokImage", "VTokContainer", "VTokNN", "VTokEval", "VTokModel", "VTokTraining",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The C API: one public header (Sources/VTokC/API/include/vtok.h, its types and status
        // messages in C) implemented by @_cdecl Swift functions, so the compiler checks both sides.
        .target(name: "VTokCAPI", path: "Sources/VTokC/API"),
        .target(name: "VTokC", dependencies: ["VTokCAPI", "VTokModel", "VTokImage", "VTokContainer", "VTokNN"],
                path: "Sources/VTokC/Swift"),

        // What the end-to-end tests share: running the built binary, temporary directories.
        .target(name: "VTokTestSupport", path: "Tests/VTokTestSupport"),
        .target(name: "VTokTestModels", dependencies: ["VTokModel"], path: "Tests/VTokTestModels"),
        .testTarget(name: "VTokImageTests", dependencies: ["VTokImage", "CPNG", "CJPEG", "VTokTestSupport"]),
        .testTarget(name: "VTokContainerTests", dependencies: ["VTokContainer", "VTokTestSupport"]),
        .testTarget(name: "VTokNNTests", dependencies: ["VTokNN"]),
        .testTarget(name: "VTokModelTests", dependencies: ["VTokModel", "VTokNN", "VTokImage", "VTokContainer", "VTokTestModels"]),
        .testTarget(name: "VTokTrainingTests", dependencies: ["VTokTraining", "VTokModel", "VTokNN", "VTokImage", "VTokTestSupport", "VTokTestModels"]),
        .testTarget(name: "VTokEvalTests", dependencies: ["VTokEval", "VTokImage"]),
        .testTarget(name: "VTokCTests", dependencies: ["VTokC", "VTokImage"]),
        .testTarget(name: "CLITests", dependencies: ["VTokContainer", "VTokImage", "VTokModel", "VTokEval", "VTokTestSupport", "VTokTestModels"]),
    ]
)
