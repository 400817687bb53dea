// swift-tools-version:6.0
import PackageDescription

// MultiSocket's events as swift-log records. A package of its own, so that the library keeps no dependency:
// it depends on MultiSocket by path and on swift-log. `swift run` in this folder runs its self-check.
let package = Package(
    name: "LoggingIntegration",
    dependencies: [
        .package(name: "MultiSocket", path: "../../.."),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "LoggingIntegration",
            dependencies: [
                .product(name: "MultiSocketProtocols", package: "MultiSocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources"
        ),
    ],
    swiftLanguageModes: [.v6]
)
