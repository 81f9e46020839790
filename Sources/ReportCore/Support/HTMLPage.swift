/// The frame of reportd's HTML pages (a report's page, the output root's index): the head with its
/// Content-Security-Policy and style sheet, escaping, readable times. Pure text.
public enum HTMLPage {
    /// The page's Content-Security-Policy: nothing may load or run; inline styles (and `data:`
    /// images, which the page does not use today) are allowed.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// `2026-11-29T06:00:00+07:00` as `2026-11-29 06:00:00 (+07:00)`; anything else unchanged.
    public static func readable(_ iso: String) -> String {
        guard iso.count == 25, let t = iso.firstIndex(of: "T") else { return iso }
        let zone = iso.index(iso.startIndex, offsetBy: 19)
        return iso[..<t] + " " + iso[iso.index(after: t)..<zone] + " (" + iso[zone...] + ")"
    }

    /// `<!doctype html>` through `</head>`: charset, viewport, the CSP, the title and the style
    /// sheet; the page's `lang` is `language`'s (Vietnamese unless told).
    public static func head(title: String, language: ReportLocale = .viVN) -> String {
        """
        <!doctype html>
        <html lang="\(language.isVietnamese ? "vi" : "en")">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="generator" content="reportd">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title))</title>
        <style>\(styleSheet)</style>
        </head>

        """
    }

    /// The page's only style sheet: system fonts (with Vietnamese glyphs on every desktop), a
    /// readable table with right-aligned tabular figures, a chart that scales to the window, print.
    public static let styleSheet = """

        :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --band: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        main { max-width: 70rem; margin: 0 auto; padding: 1.5rem 1rem; }
        h1 { font-size: 1.5rem; margin: 0 0 .5rem; line-height: 1.3; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        .run, .dataset, footer, figcaption, .note { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .85em; }
        .table { overflow-x: auto; margin: 1rem 0; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: .35rem .75rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid var(--ink); white-space: nowrap; }
        tbody th { font-weight: normal; }
        tbody tr:nth-child(even) { background: var(--band); }
        tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--ink); }
        .num { text-align: right; white-space: nowrap; }
        time { white-space: nowrap; }
        .neg { color: #b42318; }
        .empty { color: var(--muted); font-style: italic; }
        figure.chart { margin: 1.5rem 0; }
        figure.chart svg { width: 100%; max-width: 60rem; height: auto; display: block; }
        svg text { font-size: 13px; fill: var(--ink); font-family: inherit; }
        svg .axis { stroke: var(--ink); stroke-width: 1; }
        svg .grid { stroke: var(--rule); stroke-width: 1; }
        svg .bar { fill: #2f6fb0; }
        svg .bar.neg { fill: #c0504d; }
        svg .value, svg .tick { fill: var(--muted); }
        footer { max-width: 70rem; margin: 0 auto; padding: 0 1rem 1.5rem; }
        table.index td, table.index th { white-space: normal; }
        a { color: #0b5cad; }
        @media print { main { max-width: none; } tbody tr:nth-child(even) { background: none; } }

        """

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, safe in element content and in quoted
    /// attribute values. NUL and the other C0 controls but tab and line breaks (not characters an
    /// HTML document may hold) become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
