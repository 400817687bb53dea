// Intentionally empty: CFuzzDriver only declares libFuzzer's driver (include/CFuzzDriver.h), and SwiftPM
// needs a source file to make a C target.
#include "CFuzzDriver.h"
