import Foundation

/// "images 7/24 [=======>      ] 29%  ETA 0:41" on one stderr line, redrawn as images finish.
public final class ProgressBar {
    let total: Int
    private var done = 0
    private let start = Date()

    public init(total: Int) {
        self.total = total
        draw()
    }

    public func advance() {
        done += 1
        draw()
    }

    public func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw() {
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        var line = "\rimages \(done)/\(total) [\(bar)] \(done * 100 / max(total, 1))%"
        if done > 0 && done < total {
            let remaining = Date().timeIntervalSince(start) / Double(done) * Double(total - done)
            line += "  ETA \(Int(remaining) / 60):\(String(format: "%02d", Int(remaining) % 60))"
        } else if done == total {
            line += "  in \(format(Date().timeIntervalSince(start), 1)) s"
        }
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }
}
