// Only the declaration in include/FuzzDriver.h is needed; libFuzzer (-sanitize=fuzzer) defines the function.
#include "FuzzDriver.h"
