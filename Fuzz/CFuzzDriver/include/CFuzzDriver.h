// libFuzzer's driver, for fuzz executables that run it from their own `main` (see Fuzz/README.md): SwiftPM
// names a Swift executable's entry point itself, so libFuzzer's `main` cannot be the program's.
#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the program's arguments, calling `callback` with each input; defined by the
/// libFuzzer runtime that `-sanitize=fuzzer` links. Declared only: a plain build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
