import Foundation

/// A line chart with a logarithmic x axis, written as plain SVG.
enum SVGPlot {
    struct Point {
        var x: Double
        var y: Double
    }

    struct Line {
        var name: String
        var color: String
        var opacity: Double
        var dashed: Bool
        var points: [Point]
    }

    static let palette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf"]

    static let width = 820.0
    static let height = 500.0
    static let plotLeft = 70.0
    static let plotRight = 600.0
    static let plotTop = 40.0
    static let plotBottom = 440.0

    static func render(title: String, xLabel: String, yLabel: String, lines: [Line]) -> String {
        let points = lines.flatMap(\.points).filter { $0.x > 0 && $0.y.isFinite }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(plotLeft)" y="22" font-size="15">\(escaped(title))</text>

        """
        guard let xMin = points.map(\.x).min(), let xMax = points.map(\.x).max(),
              let yMin = points.map(\.y).min(), let yMax = points.map(\.y).max() else {
            return svg + "<text x=\"\(plotLeft)\" y=\"\(plotTop + 40)\">no data</text>\n</svg>\n"
        }
        let logXMin = log10(xMin) - 0.05
        let logXMax = max(log10(xMax), log10(xMin) + 0.1) + 0.05
        let yTicks = niceTicks(low: yMin, high: yMax)
        let yLow = min(yTicks.first!, yMin)
        let yHigh = max(yTicks.last!, yMax)
        func plotX(_ x: Double) -> Double {
            plotLeft + (log10(x) - logXMin) / (logXMax - logXMin) * (plotRight - plotLeft)
        }
        func plotY(_ y: Double) -> Double {
            plotBottom - (y - yLow) / max(yHigh - yLow, 1e-9) * (plotBottom - plotTop)
        }

        for tick in logTicks(low: pow(10, logXMin), high: pow(10, logXMax)) {
            let x = plotX(tick)
            svg += gridLine(x1: x, y1: plotTop, x2: x, y2: plotBottom)
            svg += "<text x=\"\(f(x))\" y=\"\(f(plotBottom + 16))\" text-anchor=\"middle\">\(byteLabel(tick))</text>\n"
        }
        let yDecimals = decimalsToWrite(yTicks)
        for tick in yTicks {
            let y = plotY(tick)
            svg += gridLine(x1: plotLeft, y1: y, x2: plotRight, y2: y)
            svg += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(format(tick, yDecimals))</text>\n"
        }
        svg += "<rect x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotRight - plotLeft))\" "
            + "height=\"\(f(plotBottom - plotTop))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotBottom + 40))\" text-anchor=\"middle\">\(escaped(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(f((plotTop + plotBottom) / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(escaped(yLabel))</text>\n"

        for line in lines {
            let visible = line.points.filter { $0.x > 0 && $0.y.isFinite }.sorted { $0.x < $1.x }
            guard !visible.isEmpty else { continue }
            let path = visible.map { "\(f(plotX($0.x))),\(f(plotY($0.y)))" }.joined(separator: " ")
            svg += "<g opacity=\"\(f(line.opacity))\"><title>\(escaped(line.name))</title>"
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" "
                + "stroke-width=\"\(line.dashed ? 2.5 : 1.5)\"\(line.dashed ? " stroke-dasharray=\"7 4\"" : "")/>"
            if !line.dashed {
                for point in visible {
                    svg += "<circle cx=\"\(f(plotX(point.x)))\" cy=\"\(f(plotY(point.y)))\" r=\"2.2\" fill=\"\(line.color)\"/>"
                }
            }
            svg += "</g>\n"
        }

        for (index, line) in lines.enumerated() {
            let y = plotTop + 8 + Double(index) * 18
            let x = plotRight + 20
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 28))\" y2=\"\(f(y))\" opacity=\"\(f(line.opacity))\" "
                + "stroke=\"\(line.color)\" stroke-width=\"\(line.dashed ? 2.5 : 1.5)\""
                + "\(line.dashed ? " stroke-dasharray=\"7 4\"" : "")/>"
                + "<text x=\"\(f(x + 34))\" y=\"\(f(y + 4))\">\(escaped(line.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// 1, 2 and 5 times each power of ten inside [low, high].
    static func logTicks(low: Double, high: Double) -> [Double] {
        let decades = Int(floor(log10(low)))...Int(ceil(log10(high)))
        return decades.flatMap { decade in [1.0, 2, 5].map { $0 * pow(10, Double(decade)) } }
            .filter { $0 >= low && $0 <= high }
    }

    /// About six evenly spaced round values covering [low, high].
    static func niceTicks(low: Double, high: Double) -> [Double] {
        let span = max(high - low, 1e-6)
        let rawStep = span / 6
        let magnitude = pow(10, floor(log10(rawStep)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rawStep }!
        let first = floor(low / step) * step
        let count = Int(ceil((high - first) / step - 1e-9))
        return (0...count).map { first + Double($0) * step }
    }

    /// Tick values are 1, 2 or 5 times a power of ten, so whole kilobytes from 1000 up.
    static func byteLabel(_ bytes: Double) -> String {
        bytes >= 1000 ? "\(Int((bytes / 1000).rounded()))k" : "\(Int(bytes.rounded()))"
    }

    /// The fewest decimals that write every tick exactly.
    static func decimalsToWrite(_ ticks: [Double]) -> Int {
        (0...4).first { decimals in
            let scale = pow(10, Double(decimals))
            return ticks.allSatisfy { abs($0 * scale - ($0 * scale).rounded()) < 1e-6 }
        } ?? 4
    }

    private static func gridLine(x1: Double, y1: Double, x2: Double, y2: Double) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"#ddd\"/>\n"
    }

    private static func f(_ value: Double) -> String { format(value, 1) }
}

func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;")
        .replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
        .replacingOccurrences(of: "\"", with: "&quot;")
}
