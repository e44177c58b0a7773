import Foundation

/// Progress of long work on stderr: "images 7/24 [=======       ] 29%  3.1 images/s  ETA 0:41".
///
/// A terminal gets the bar redrawn in place (`\r`). When stderr is a file or a pipe (a log, CI), the
/// bar writes plain lines instead, one at each tenth of the work or every 10 seconds at most, and
/// the last one at the end. Text of its own (a warning, a trainer's record) goes through `line(_:)`,
/// on a line of its own, and the bar is redrawn after it. `status(_:)` puts any text in the bar's
/// place on a terminal and writes nothing elsewhere: a trainer's current step, which only a person
/// watching needs. A bar of no `total` draws nothing itself: it only keeps those two apart.
public final class ProgressBar: @unchecked Sendable {
    let total: Int?
    private let noun: String
    private var done = 0
    private let start = Date()
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var lastPlainLine: (done: Int, time: Date)?
    /// Whether the terminal's current line holds a bar or status (to be ended before other text).
    private var drawn = false
    private let lock = NSLock()

    public convenience init(total: Int?, noun: String = "images") {
        self.init(total: total, noun: noun, isTerminal: isatty(STDERR_FILENO) != 0) {
            FileHandle.standardError.write(Data($0.utf8))
        }
    }

    /// `write` receives exactly what would go to stderr.
    init(total: Int?, noun: String = "images", isTerminal: Bool, write: @escaping (String) -> Void) {
        self.total = total
        self.noun = noun
        self.isTerminal = isTerminal
        self.write = write
        draw()
    }

    /// One more unit done (safe to call from several threads).
    public func advance() { lock.withLock { done += 1; draw() } }

    /// `done` units done in all.
    public func update(_ done: Int) { lock.withLock { self.done = done; draw() } }

    /// `text` on a line of its own, the bar redrawn after it.
    public func line(_ text: String) {
        lock.withLock {
            write((isTerminal && drawn ? "\r\u{1B}[K" : "") + text + "\n")
            drawn = false
            if isTerminal { draw() }
        }
    }

    /// `text` in the bar's place, on a terminal only.
    public func status(_ text: String) {
        lock.withLock {
            guard isTerminal else { return }
            write("\r" + text + "\u{1B}[K")
            drawn = true
        }
    }

    public func finish() {
        lock.withLock {
            if isTerminal {
                if drawn { write("\n") }
            } else if total != nil && lastPlainLine?.done != done {
                write(bar() + "\n")
            }
            drawn = false
        }
    }

    private func draw() {
        guard let total else { return }
        if isTerminal {
            write("\r" + bar() + "\u{1B}[K")
            drawn = true
            return
        }
        let now = Date()
        let step = max(1, total / 10)
        let due = lastPlainLine.map { done - $0.done >= step || now.timeIntervalSince($0.time) >= 10 || done == total } ?? true
        guard due else { return }
        lastPlainLine = (done, now)
        write(bar() + "\n")
    }

    private func bar() -> String {
        let total = total ?? 0, width = 30
        let filled = total == 0 ? width : min(done, total) * width / total
        let elapsed = Date().timeIntervalSince(start)
        var text = "\(noun) \(done)/\(total) [" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(done * 100 / max(total, 1))%"
        if done > 0 && elapsed > 0 {
            let rate = Double(done) / elapsed
            text += rate >= 1 ? String(format: "  %.1f %@/s", rate, noun) : String(format: "  %.1f s each", 1 / rate)
        }
        if done > 0 && done < total {
            let remaining = Int(elapsed / Double(done) * Double(total - done))
            text += "  ETA \(remaining / 60):" + String(format: "%02d", remaining % 60)
        } else if done == total {
            text += "  in " + String(format: "%.1f", elapsed) + " s"
        }
        return text
    }
}
