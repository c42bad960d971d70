// libFuzzer's entry for programs that have their own main (https://llvm.org/docs/LibFuzzer.html, "Using libFuzzer
// as a library"). SwiftPM names an executable's main after its module, so each fuzz target starts libFuzzer here.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
