// swift-tools-version:6.0
import PackageDescription

// A MultiSocket worker server as a swift-service-lifecycle `Service`, shut down gracefully on SIGTERM. A package
// of its own, so that the library keeps no dependency: it depends on MultiSocket by path, on
// swift-service-lifecycle and on swift-log. `swift run` here runs its self-check.
let package = Package(
    name: "LifecycleIntegration",
    dependencies: [
        .package(name: "MultiSocket", path: "../../.."),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "LifecycleIntegration",
            dependencies: [
                .product(name: "MultiSocketProtocols", package: "MultiSocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources"
        ),
    ],
    swiftLanguageModes: [.v6]
)
