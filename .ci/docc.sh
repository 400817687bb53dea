#!/usr/bin/env bash
# Builds the DocC documentation of the five library modules with the toolchain's `docc` (no package plugin)
# and fails on any warning. Each module's archive goes to .build-docs/docs/<Module>.doccarchive; a module's
# links to the modules below it resolve through their archives (--dependency).
#   .ci/docc.sh            build and check
#   PREVIEW=1 .ci/docc.sh  also print where the archives are
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-docs
graphs="$scratch/x86_64-unknown-linux-gnu/symbolgraph"
out="$scratch/docs"
rm -rf "$graphs" "$out"
mkdir -p "$scratch"
# It also tries the synthesized test-runner modules, fails on them and exits non-zero: what counts is that
# the three library graphs were written.
swift package --scratch-path "$scratch" dump-symbol-graph --minimum-access-level public >"$scratch/dump.log" 2>&1 || true
graphs="$(dirname "$(find "$scratch" -name 'MultiSocket.symbols.json' -path '*symbolgraph*' | head -1)")"
for module in MultiSocketConnector MultiSocket MultiSocketProtocols MultiSocketCodable MultiSocketTalk; do
    [ -f "$graphs/$module.symbols.json" ] || { tail -20 "$scratch/dump.log" >&2; echo "no symbol graph for $module" >&2; exit 1; }
done
mkdir -p "$out"
status=0
dependencies=()
for module in MultiSocketConnector MultiSocket MultiSocketProtocols MultiSocketCodable MultiSocketTalk; do
    input="$out/$module.graphs"
    mkdir -p "$input"
    cp "$graphs/$module.symbols.json" "$input/"
    cp "$graphs/$module"@*.symbols.json "$input/" 2>/dev/null || true
    catalog=()
    case "$module" in
    MultiSocketConnector) dir=Sources/Connector ;;
    MultiSocket) dir=Sources/MultiSocket ;;
    MultiSocketProtocols) dir=Sources/Protocols ;;
    MultiSocketCodable) dir=Sources/Codable ;;
    MultiSocketTalk) dir=Sources/Talk ;;
    esac
    [ -d "$dir/$module.docc" ] && catalog=("$dir/$module.docc")
    log="$out/$module.log"
    docc convert ${catalog[@]+"${catalog[@]}"} --additional-symbol-graph-dir "$input" \
        --fallback-display-name "$module" --fallback-bundle-identifier "$module" \
        ${dependencies[@]+"${dependencies[@]}"} --enable-experimental-external-link-support --analyze --output-path "$out/$module.doccarchive" >"$log" 2>&1 || status=1
    warnings=$(grep -c 'warning:' "$log" || true)
    echo "docc $module: $warnings warning(s)"
    if [ "$warnings" -gt 0 ]; then
        grep -B1 -A3 'warning:' "$log" | head -60
        status=1
    fi
    dependencies+=(--dependency "$out/$module.doccarchive")
done
[ "${PREVIEW:-0}" = 1 ] && echo "archives: $out"
exit "$status"
