import FuzzDriver
import Foundation

// libFuzzer parses the command line (-max_total_time=…, corpus folders) and calls `fuzz` with each input.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
