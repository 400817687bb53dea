// swift-tools-version:6.0
import PackageDescription

// MultiSocket's statistics as swift-metrics counters and gauges. A package of its own, so that the library keeps
// no dependency: it depends on MultiSocket by path and on swift-metrics. `swift run` here runs its self-check.
let package = Package(
    name: "MetricsIntegration",
    dependencies: [
        .package(name: "MultiSocket", path: "../../.."),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "MetricsIntegration",
            dependencies: [
                .product(name: "MultiSocketProtocols", package: "MultiSocket"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Sources"
        ),
    ],
    swiftLanguageModes: [.v6]
)
