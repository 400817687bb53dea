// swift-tools-version:6.2
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
        .library(name: "MultiSocketCodable", targets: ["MultiSocketCodable"]),
        .library(name: "MultiSocketTalk", targets: ["MultiSocketTalk"]),
        .library(name: "MultiSocketStreams", targets: ["MultiSocketStreams"]),
        // Example and tool products are prefixed so that an app depending on this package can name its own
        // targets and executables Demo, Bus or Pipeline (target and product names must be unique across a
        // package graph). `Demo` and `TalkWeb` keep their short names, for `swift run Demo` and `swift run TalkWeb`.
        .executable(name: "Demo", targets: ["MultiSocketDemo"]),
        .executable(name: "MultiSocketReqRep", targets: ["MultiSocketReqRep"]),
        .executable(name: "MultiSocketPubSub", targets: ["MultiSocketPubSub"]),
        .executable(name: "MultiSocketPipeline", targets: ["MultiSocketPipeline"]),
        .executable(name: "MultiSocketBus", targets: ["MultiSocketBus"]),
        .executable(name: "MultiSocketSurvey", targets: ["MultiSocketSurvey"]),
        .executable(name: "MultiSocketSwitchChain", targets: ["MultiSocketSwitchChain"]),
        .executable(name: "MultiSocketSPBridge", targets: ["MultiSocketSPBridge"]),
        .executable(name: "TalkWeb", targets: ["MultiSocketTalkWeb"]),
        .executable(name: "MultiSocketNewcomer", targets: ["MultiSocketNewcomer"]),
        .executable(name: "MultiSocketTalkPerf", targets: ["MultiSocketTalkPerf"]),
        .executable(name: "MultiSocketStreamProxy", targets: ["MultiSocketStreamProxy"]),
        .executable(name: "MultiSocketStreamBridge", targets: ["MultiSocketStreamBridge"]),
        .executable(name: "MultiSocketMutualTLS", targets: ["MultiSocketMutualTLS"]),
        .executable(name: "msperf", targets: ["MultiSocketPerf"]),
        .executable(name: "mscat", targets: ["MultiSocketCat"]),
        .executable(name: "soak", targets: ["MultiSocketSoak"]),
        .executable(name: "FuzzFrames", targets: ["MultiSocketFuzzFrames"]),
        .executable(name: "FuzzWebSocket", targets: ["MultiSocketFuzzWebSocket"]),
        .executable(name: "FuzzHandshake", targets: ["MultiSocketFuzzHandshake"]),
        .executable(name: "FuzzAddress", targets: ["MultiSocketFuzzAddress"]),
        .executable(name: "FuzzSPFrames", targets: ["MultiSocketFuzzSPFrames"]),
        // A child process for the lifecycle tests (graceful shutdown on SIGTERM, a dropped socket's descriptors).
        .executable(name: "MultiSocketLifecycleFixture", targets: ["MultiSocketLifecycleFixture"]),
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
                swiftSettings: callerExecutor),
        // Codable content is its own module: its JSON coder brings FoundationEssentials (~2 MiB resident), which
        // MultiSocket and MultiSocketProtocols do without. Talk shares its coder.
        .target(name: "MultiSocketCodable", dependencies: ["MultiSocketProtocols"], path: "Sources/Codable",
                swiftSettings: callerExecutor),
        .target(name: "MultiSocketTalk", dependencies: ["MultiSocketCodable"], path: "Sources/Talk",
                exclude: ["JavaScript"], swiftSettings: callerExecutor),
        // Byte streams over the socket (issue 18): StreamEndpoint, StreamListener, StreamConnection.
        .target(name: "MultiSocketStreams", dependencies: ["MultiSocket"], path: "Sources/Streams",
                swiftSettings: callerExecutor),
        .target(name: "MultiSocketTestSupport", dependencies: ["MultiSocket"], path: "Sources/TestSupport"),
        .executableTarget(name: "MultiSocketDemo", dependencies: ["MultiSocketProtocols"], path: "Examples/Demo"),
        .executableTarget(name: "MultiSocketReqRep", dependencies: ["MultiSocketCodable"], path: "Examples/ReqRep"),
        .executableTarget(name: "MultiSocketPubSub", dependencies: ["MultiSocketProtocols"], path: "Examples/PubSub"),
        .executableTarget(name: "MultiSocketPipeline", dependencies: ["MultiSocketProtocols"], path: "Examples/Pipeline"),
        .executableTarget(name: "MultiSocketBus", dependencies: ["MultiSocketProtocols"], path: "Examples/Bus"),
        .executableTarget(name: "MultiSocketSurvey", dependencies: ["MultiSocketProtocols"], path: "Examples/Survey"),
        .executableTarget(name: "MultiSocketSwitchChain", dependencies: ["MultiSocketProtocols"], path: "Examples/SwitchChain"),
        .executableTarget(name: "MultiSocketSPBridge", dependencies: ["MultiSocketProtocols"], path: "Examples/SPBridge"),
        .executableTarget(name: "MultiSocketNewcomer", dependencies: ["MultiSocketCodable"], path: "Examples/Newcomer"),
        .executableTarget(name: "MultiSocketTalkPerf", dependencies: ["MultiSocketTalk"], path: "Examples/TalkPerf",
                          swiftSettings: callerExecutor),
        .executableTarget(name: "MultiSocketStreamProxy", dependencies: ["MultiSocketStreams"], path: "Examples/StreamProxy"),
        .executableTarget(name: "MultiSocketStreamBridge", dependencies: ["MultiSocketStreams"], path: "Examples/StreamBridge"),
        .executableTarget(name: "MultiSocketMutualTLS", dependencies: ["MultiSocketProtocols"], path: "Examples/MutualTLS"),
        .target(name: "MultiSocketTalkWebKit", dependencies: ["MultiSocketTalk"], path: "Examples/TalkWeb/Kit"),
        .executableTarget(name: "MultiSocketTalkWeb", dependencies: ["MultiSocketTalkWebKit"], path: "Examples/TalkWeb/Tool"),
        .target(name: "MultiSocketPerfKit", dependencies: ["MultiSocketProtocols"], path: "Examples/MSPerf/Kit",
                swiftSettings: callerExecutor),
        .executableTarget(name: "MultiSocketPerf", dependencies: ["MultiSocketPerfKit"], path: "Examples/MSPerf/Tool"),
        .target(name: "MultiSocketCatCore", path: "Examples/MSCat/Core"),
        .executableTarget(
            name: "MultiSocketCat",
            dependencies: ["MultiSocketCatCore", "MultiSocketProtocols"],
            path: "Examples/MSCat/App"
        ),
        .target(name: "MultiSocketSoakKit", dependencies: ["MultiSocketProtocols"], path: "Examples/Soak/Kit",
                swiftSettings: callerExecutor),
        .executableTarget(name: "MultiSocketSoak", dependencies: ["MultiSocketSoakKit"], path: "Examples/Soak/Tool"),
        // Fuzzing (Fuzz/README.md): the properties checked live in MultiSocketFuzzHarness, which the tests also run on
        // the committed corpus; each Fuzz* executable is one libFuzzer entry point. Fuzz/run.sh builds them with
        // `-sanitize=fuzzer,address -DFUZZING`, which makes their main run libFuzzer's driver (CMultiSocketFuzzDriver
        // declares it); a plain build makes them programs that do nothing.
        .target(name: "CMultiSocketFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .target(name: "MultiSocketFuzzHarness", dependencies: ["MultiSocketConnector"], path: "Fuzz/Harness"),
        .executableTarget(name: "MultiSocketFuzzFrames", dependencies: ["MultiSocketFuzzHarness", "CMultiSocketFuzzDriver"],
                          path: "Fuzz/Targets/Frames"),
        .executableTarget(name: "MultiSocketFuzzWebSocket", dependencies: ["MultiSocketFuzzHarness", "CMultiSocketFuzzDriver"],
                          path: "Fuzz/Targets/WebSocket"),
        .executableTarget(name: "MultiSocketFuzzHandshake", dependencies: ["MultiSocketFuzzHarness", "CMultiSocketFuzzDriver"],
                          path: "Fuzz/Targets/Handshake"),
        .executableTarget(name: "MultiSocketFuzzAddress", dependencies: ["MultiSocketFuzzHarness", "CMultiSocketFuzzDriver"],
                          path: "Fuzz/Targets/Address"),
        .executableTarget(name: "MultiSocketFuzzSPFrames", dependencies: ["MultiSocketFuzzHarness", "CMultiSocketFuzzDriver"],
                          path: "Fuzz/Targets/SPFrames"),
        .executableTarget(name: "MultiSocketLifecycleFixture", dependencies: ["MultiSocketProtocols"],
                          path: "Tests/Fixtures/Lifecycle"),
        .testTarget(
            name: "MultiSocketConnectorTests",
            dependencies: ["MultiSocketConnector", "MultiSocketTestSupport", "MultiSocketFuzzHarness"],
            path: "Tests/ConnectorTests"
        ),
        .testTarget(
            name: "MultiSocketTests",
            dependencies: ["MultiSocket", "MultiSocketTestSupport"],
            path: "Tests/MultiSocketTests"
        ),
        .testTarget(
            name: "MultiSocketProtocolsTests",
            dependencies: ["MultiSocketProtocols", "MultiSocketTestSupport"],
            path: "Tests/ProtocolsTests"
        ),
        .testTarget(
            name: "MultiSocketCodableTests",
            dependencies: ["MultiSocketCodable", "MultiSocketTestSupport"],
            path: "Tests/CodableTests"
        ),
        .testTarget(
            name: "MultiSocketPerfTests",
            dependencies: ["MultiSocketPerfKit", "MultiSocketProtocols", "MultiSocketTestSupport"],
            path: "Tests/MSPerfTests"
        ),
        .testTarget(
            name: "MultiSocketTalkTests",
            dependencies: ["MultiSocketTalk", "MultiSocketTestSupport", "MultiSocketTalkWebKit"],
            path: "Tests/TalkTests"
        ),
        .testTarget(
            name: "MultiSocketSPTests",
            dependencies: ["MultiSocketProtocols", "MultiSocketTestSupport"],
            path: "Tests/SPTests",
            exclude: ["peers"]
        ),
        .testTarget(name: "MultiSocketCatTests", dependencies: ["MultiSocketCatCore", "MultiSocketTestSupport"],
                    path: "Tests/MSCatTests"),
        .testTarget(
            name: "MultiSocketSoakTests",
            dependencies: ["MultiSocketSoakKit", "MultiSocketProtocols", "MultiSocketTestSupport"],
            path: "Tests/SoakTests"
        ),
        .testTarget(
            name: "MultiSocketStreamsTests",
            dependencies: ["MultiSocketStreams", "MultiSocketTestSupport"],
            path: "Tests/MultiSocketStreamsTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
