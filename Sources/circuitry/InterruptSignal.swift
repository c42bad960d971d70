import Foundation
import Synchronization

/// SIGINT and SIGTERM during a long run: the first one is noted (the run saves its state at the next test and
/// exits with 128 + the signal's number); a second one ends the process at once, as if no handler were installed.
enum InterruptSignal {
    /// The signal received, 0 while none.
    static let received = Atomic<Int32>(0)

    /// Installs the handlers for SIGINT and SIGTERM, and unblocks both on the calling (main) thread. A process
    /// inherits the signal mask of the thread that started it, and a parent starting it from a thread that blocks
    /// them (a thread pool's worker, as Foundation's `Process` does from such threads) passes that mask on; under it
    /// every stop request would wait unseen while the run went on to its end. (On Linux the Swift program's main
    /// thread was seen to start with an empty mask anyway, while a C program such as `mpirun` keeps the parent's;
    /// this does not rely on that.)
    static func install() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { number in
                // Only async-signal-safe work here: an atomic exchange, and for a second signal the default action.
                if InterruptSignal.received.exchange(number, ordering: .relaxed) != 0 {
                    signal(number, SIG_DFL)
                    raise(number)
                }
            }
        }
    }

    /// Restores the default actions (after the run, writing results is not interruptible).
    static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// The pending signal, if one arrived.
    static var pending: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// `SIGINT` or `SIGTERM`.
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}

/// Thrown out of a run's checkpoint when SIGINT or SIGTERM arrived (after the state was saved).
struct Interrupted: Error {
    let signal: Int32
}
