import Foundation

/// "images 7/24 [=======>      ] 29%  ETA 0:41" on one stderr line, redrawn as images finish.
///
/// Only a terminal gets the redrawn (`\r`) line. When stderr is a file or a pipe (a log, CI), the bar
/// writes plain lines instead, one at each tenth of the work or every 10 seconds at most, and the
/// last one at the end, so that warnings written between them stay on their own lines.
public final class ProgressBar {
    let total: Int
    private var done = 0
    private let start = Date()
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var lastPlainLine: (done: Int, time: Date)?

    public convenience init(total: Int) {
        self.init(total: total, isTerminal: isatty(STDERR_FILENO) != 0) {
            FileHandle.standardError.write(Data($0.utf8))
        }
    }

    /// `write` receives exactly what would go to stderr.
    init(total: Int, isTerminal: Bool, write: @escaping (String) -> Void) {
        self.total = total
        self.isTerminal = isTerminal
        self.write = write
        draw()
    }

    public func advance() {
        done += 1
        draw()
    }

    public func finish() {
        if isTerminal {
            write("\n")
        } else if lastPlainLine?.done != done {
            write(line() + "\n")
        }
    }

    private func draw() {
        if isTerminal {
            write("\r" + line() + "   ")
            return
        }
        let now = Date()
        let step = max(1, total / 10)
        let due = lastPlainLine.map { done - $0.done >= step || now.timeIntervalSince($0.time) >= 10 || done == total } ?? true
        guard due else { return }
        lastPlainLine = (done, now)
        write(line() + "\n")
    }

    private func line() -> String {
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        var line = "images \(done)/\(total) [\(bar)] \(done * 100 / max(total, 1))%"
        if done > 0 && done < total {
            let remaining = Date().timeIntervalSince(start) / Double(done) * Double(total - done)
            line += "  ETA \(Int(remaining) / 60):\(String(format: "%02d", Int(remaining) % 60))"
        } else if done == total {
            line += "  in \(format(Date().timeIntervalSince(start), 1)) s"
        }
        return line
    }
}
