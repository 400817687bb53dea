#!/usr/bin/env bash
# Builds and runs the README's "Writing a transport" program as it stands, in a fresh package that depends on
# this one by path: the proof that a transport can be written outside the package on the public contract.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/Sources/AbstractTransport"
cat > "$WORK/Package.swift" <<MANIFEST
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "ReadmeTransport",
    dependencies: [.package(path: "$ROOT")],
    targets: [.executableTarget(name: "AbstractTransport",
                                dependencies: [.product(name: "MultiSocket", package: "$(basename "$ROOT")")])],
    swiftLanguageModes: [.v6]
)
MANIFEST
awk '/^\/\/ Sources\/AbstractTransport\/main.swift/{found=1; next} found && /^```/{exit} found' \
    "$ROOT/README.md" > "$WORK/Sources/AbstractTransport/main.swift"
[ -s "$WORK/Sources/AbstractTransport/main.swift" ] || { echo "README: no transport example found" >&2; exit 1; }
(cd "$WORK" && swift build -q)
output="$(cd "$WORK" && timeout 30 .build/debug/AbstractTransport)"
[ "$output" = "hello" ] || { echo "README transport example printed '$output', expected 'hello'" >&2; exit 1; }
echo "README transport example: built outside the package and printed hello"
