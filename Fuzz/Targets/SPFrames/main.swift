// The SPFrames area's fuzzer. Built by Fuzz/run.sh with `-sanitize=fuzzer,address -DFUZZING`, its main runs
// libFuzzer's driver on the entry point below; built plainly (`swift build`), it is a program that does
// nothing.
import MultiSocketFuzzHarness

/// libFuzzer's entry point: checks one input (a failed check stops the process); returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.spFrames.fuzz(data, size)
}

#if FUZZING
import CMultiSocketFuzzDriver
import Glibc

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in FuzzTarget.spFrames.fuzz(data, size) })
#endif
