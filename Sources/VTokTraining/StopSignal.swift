#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as a request to stop training between steps (after which the trainer writes
/// a checkpoint). The handler only sets a flag; a second signal of the same kind kills the process
/// the default way, for a user who does not want to wait for the step to finish.
public enum StopSignal {
    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    public static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                StopSignal.received = 1
                signal(number, SIG_DFL)
            }
        }
    }

    /// True once SIGINT or SIGTERM arrived.
    public static var isRequested: Bool { received != 0 }
}
