// swift-tools-version:6.0
import PackageDescription

/// Async functions in the libraries run on their caller's executor (SE-0461) instead of hopping to the
/// global one on every call: a send or receive from a task on the I/O thread stays on that thread.
let callerExecutor: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "MultiSocket",
    products: [
        .library(name: "MultiSocketConnector", targets: ["MultiSocketConnector"]),
        .library(name: "MultiSocket", targets: ["MultiSocket"]),
        .library(name: "MultiSocketProtocols", targets: ["MultiSocketProtocols"]),
        .executable(name: "Demo", targets: ["Demo"]),
        .executable(name: "ReqRep", targets: ["ReqRep"]),
        .executable(name: "PubSub", targets: ["PubSub"]),
        .executable(name: "Pipeline", targets: ["Pipeline"]),
        .executable(name: "Bus", targets: ["Bus"]),
        .executable(name: "Survey", targets: ["Survey"]),
        .executable(name: "SwitchChain", targets: ["SwitchChain"]),
        .executable(name: "TalkWeb", targets: ["TalkWeb"]),
        .executable(name: "msperf", targets: ["MSPerf"]),
        .executable(name: "mscat", targets: ["MSCat"]),
        .executable(name: "soak", targets: ["Soak"]),
    ],
    targets: [
        .target(name: "CMultiSocketShims", path: "Sources/CMultiSocketShims"),
        .target(
            name: "MultiSocketConnector",
            dependencies: ["CMultiSocketShims"],
            path: "Sources/Connector",
            swiftSettings: callerExecutor
        ),
        .target(name: "MultiSocket", dependencies: ["MultiSocketConnector"], path: "Sources/MultiSocket",
                swiftSettings: callerExecutor),
        .target(name: "MultiSocketProtocols", dependencies: ["MultiSocket"], path: "Sources/Protocols",
                exclude: ["Talk/JavaScript"], swiftSettings: callerExecutor),
        .target(name: "MultiSocketTestSupport", dependencies: ["MultiSocket"], path: "Sources/TestSupport"),
        .executableTarget(name: "Demo", dependencies: ["MultiSocketProtocols"], path: "Examples/Demo"),
        .executableTarget(name: "ReqRep", dependencies: ["MultiSocketProtocols"], path: "Examples/ReqRep"),
        .executableTarget(name: "PubSub", dependencies: ["MultiSocketProtocols"], path: "Examples/PubSub"),
        .executableTarget(name: "Pipeline", dependencies: ["MultiSocketProtocols"], path: "Examples/Pipeline"),
        .executableTarget(name: "Bus", dependencies: ["MultiSocketProtocols"], path: "Examples/Bus"),
        .executableTarget(name: "Survey", dependencies: ["MultiSocketProtocols"], path: "Examples/Survey"),
        .executableTarget(name: "SwitchChain", dependencies: ["MultiSocketProtocols"], path: "Examples/SwitchChain"),
        .target(name: "TalkWebKit", dependencies: ["MultiSocketProtocols"], path: "Examples/TalkWeb/Kit"),
        .executableTarget(name: "TalkWeb", dependencies: ["TalkWebKit"], path: "Examples/TalkWeb/Tool"),
        .target(name: "MSPerfKit", dependencies: ["MultiSocketProtocols"], path: "Examples/MSPerf/Kit",
                swiftSettings: callerExecutor),
        .executableTarget(name: "MSPerf", dependencies: ["MSPerfKit"], path: "Examples/MSPerf/Tool"),
        .target(name: "MSCatCore", path: "Examples/MSCat/Core"),
        .executableTarget(
            name: "MSCat",
            dependencies: ["MSCatCore", "MultiSocketProtocols"],
            path: "Examples/MSCat/App"
        ),
        .target(name: "SoakKit", dependencies: ["MultiSocketProtocols"], path: "Examples/Soak/Kit",
                swiftSettings: callerExecutor),
        .executableTarget(name: "Soak", dependencies: ["SoakKit"], path: "Examples/Soak/Tool"),
        // Fuzzing (Fuzz/README.md): the properties checked live in FuzzHarness, which the tests also run on
        // the committed corpus; each Fuzz* executable is one libFuzzer entry point. Fuzz/run.sh builds them with
        // `-sanitize=fuzzer,address -DFUZZING`, which makes their main run libFuzzer's driver (CFuzzDriver
        // declares it); a plain build makes them programs that do nothing.
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .target(name: "FuzzHarness", dependencies: ["MultiSocketConnector"], path: "Fuzz/Harness"),
        .executableTarget(name: "FuzzFrames", dependencies: ["FuzzHarness", "CFuzzDriver"],
                          path: "Fuzz/Targets/Frames"),
        .executableTarget(name: "FuzzWebSocket", dependencies: ["FuzzHarness", "CFuzzDriver"],
                          path: "Fuzz/Targets/WebSocket"),
        .executableTarget(name: "FuzzHandshake", dependencies: ["FuzzHarness", "CFuzzDriver"],
                          path: "Fuzz/Targets/Handshake"),
        .executableTarget(name: "FuzzAddress", dependencies: ["FuzzHarness", "CFuzzDriver"],
                          path: "Fuzz/Targets/Address"),
        .testTarget(
            name: "ConnectorTests",
            dependencies: ["MultiSocketConnector", "MultiSocketTestSupport", "FuzzHarness"],
            path: "Tests/ConnectorTests"
        ),
        .testTarget(
            name: "MultiSocketTests",
            dependencies: ["MultiSocket", "MultiSocketTestSupport"],
            path: "Tests/MultiSocketTests"
        ),
        .testTarget(
            name: "ProtocolsTests",
            dependencies: ["MultiSocketProtocols", "MultiSocketTestSupport", "TalkWebKit"],
            path: "Tests/ProtocolsTests"
        ),
        .testTarget(
            name: "MSPerfTests",
            dependencies: ["MSPerfKit", "MultiSocketProtocols", "MultiSocketTestSupport"],
            path: "Tests/MSPerfTests"
        ),
        .testTarget(name: "MSCatTests", dependencies: ["MSCatCore"], path: "Tests/MSCatTests"),
        .testTarget(
            name: "SoakTests",
            dependencies: ["SoakKit", "MultiSocketTestSupport"],
            path: "Tests/SoakTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
