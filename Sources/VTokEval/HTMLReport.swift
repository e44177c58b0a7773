import Foundation

/// index.html: the two plots, then for the first few images the same centre crop from each codec family at
/// matched byte budgets, shown at twice its size without smoothing.
enum HTMLReport {
    static func originalCropFile(_ image: GridImage) -> String {
        "\(fileSafe(image.name))-original.png"
    }

    static func cropFile(_ image: GridImage, _ cell: GridImage.Cell) -> String {
        "\(fileSafe(image.name))-\(cell.budget)B-\(fileSafe(cell.family)).png"
    }

    static func render(_ context: ReportContext) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>vtok report: quality against bytes</title>
        <style>
        body { font-family: sans-serif; margin: 2em; color: #222; }
        table.grid td { vertical-align: top; text-align: center; padding: 4px; font-size: 12px; }
        table.grid img { image-rendering: pixelated; }
        .empty { display: inline-block; background: #eee; color: #777; }
        </style>
        </head>
        <body>
        <h1>Quality against bytes</h1>
        <p>\(context.imageCount) images, \(escaped(context.options.preprocessing.statement)).
        Details: <a href="report.md">report.md</a>, <a href="results.csv">results.csv</a>,
        <a href="results.json">results.json</a>.</p>

        """
        for note in context.options.notes {
            html += "<p><em>Note: \(escaped(note))</em></p>\n"
        }
        html += "<p><img src=\"psnr.svg\" alt=\"PSNR against bytes\"></p>\n"
        html += "<p><img src=\"ms-ssim.svg\" alt=\"MS-SSIM against bytes\"></p>\n"
        html += "<h2>Crops at matched byte budgets</h2>\n"
        html += "<p>Centre crops, shown at twice their size. For each family, the point with the best PSNR whose "
            + "whole file fits the budget (at any scale); bytes and PSNR are those of the whole image.</p>\n"
        for image in context.grid {
            html += gridTable(image)
        }
        return html + "</body>\n</html>\n"
    }

    private static func gridTable(_ image: GridImage) -> String {
        let displaySide = 2 * image.originalCrop.width
        let families = image.cells.map(\.family).uniqued()
        var html = "<h3>\(escaped(image.name))</h3>\n<table class=\"grid\">\n<tr><th></th>"
        html += "<th>original</th>" + families.map { "<th>\(escaped($0))</th>" }.joined() + "</tr>\n"
        for budget in image.cells.map(\.budget).uniqued() {
            html += "<tr><th>≤ \(budget) B</th>"
            html += "<td><img src=\"crops/\(originalCropFile(image))\" width=\"\(displaySide)\" height=\"\(displaySide)\"></td>"
            for cell in image.cells where cell.budget == budget {
                guard let chosen = cell.chosen else {
                    html += "<td><span class=\"empty\" style=\"width:\(displaySide)px;height:\(displaySide)px;"
                        + "line-height:\(displaySide)px\">nothing fits</span></td>"
                    continue
                }
                html += "<td><img src=\"crops/\(cropFile(image, cell))\" width=\"\(displaySide)\" height=\"\(displaySide)\"><br>"
                html += "\(escaped(chosen.codec)) \(escaped(chosen.setting))<br>"
                html += "\(chosen.bytes) B · \(format(chosen.scores.psnr, 2)) dB</td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    private static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
