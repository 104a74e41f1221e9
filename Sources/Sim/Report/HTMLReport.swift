import Foundation
import Engine

/// `kruise-sim report TRACE --html OUT.html`: one self-contained page (inline SVG, CSS and a
/// little JavaScript; nothing fetched) showing a traced run: pods per node over time, disk use,
/// job status with cron slots, checks and invariants, and the events. Up to `maxNodeRows` nodes
/// get a row each; more are drawn as bands of consecutive nodes, so the page stays small.
public enum HTMLReport {
    static let maxNodeRows = 60
    static let width = 1000.0
    static let left = 250.0
    static let maxEvents = 2000
    static let maxJobs = 120

    struct PodSpan { var name: String, node: String, owner: String, phase: String, from: Double, to: Double, created: Double }
    struct Sample { var t: Double, node: String, used: Double?, cap: Double?, ready: String?, pods: Int }

    public static func render(_ trace: TraceFile) throws -> String {
        let run = try trace.rows("SELECT scenario, file, seed, start, end, duration_seconds, digest, result, version, writes, reconciles FROM run")[0]
        // The run's own span: a run stopped early (`serve` on Ctrl-C) is drawn to where it stopped.
        let planned = Double(run[5] ?? "") ?? 1
        let duration = max(trace.end.seconds(since: trace.start), 1e-9)
        let span = duration < planned ? "\(formatSeconds(duration)) of \(formatSeconds(planned)): stopped early" : formatSeconds(duration)
        let pods: [PodSpan] = try trace.rows("""
            SELECT name, node, COALESCE(owner_kind || '/' || owner_name, ''), phase, COALESCE(started_offset, scheduled_offset),
                   COALESCE(finished_offset, deleted_offset, ?), created_offset FROM pods WHERE node IS NOT NULL ORDER BY id
            """, [String(duration)]).map {
            PodSpan(name: $0[0] ?? "", node: $0[1] ?? "", owner: $0[2] ?? "", phase: $0[3] ?? "", from: Double($0[4] ?? "") ?? 0,
                    to: Double($0[5] ?? "") ?? duration, created: Double($0[6] ?? "") ?? 0)
        }
        let samples: [Sample] = try trace.rows("SELECT offset_seconds, node, disk_used, disk_capacity, ready, pods FROM node_samples ORDER BY seq").map {
            Sample(t: Double($0[0] ?? "") ?? 0, node: $0[1] ?? "", used: $0[2].flatMap(Double.init), cap: $0[3].flatMap(Double.init), ready: $0[4],
                   pods: Int($0[5] ?? "") ?? 0)
        }
        var nodes: [String] = []
        var seenNodes = Set<String>()
        for s in samples where !seenNodes.contains(s.node) { seenNodes.insert(s.node); nodes.append(s.node) }
        for p in pods where !seenNodes.contains(p.node) { seenNodes.insert(p.node); nodes.append(p.node) }
        nodes.sort(by: naturalOrder)

        let reconcileErrors = try reconcileErrorsTable(trace)
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(run[0] ?? "")) — kruise-sim report</title>
            <style>\(css)</style></head><body>
            <h1>\(esc(run[0] ?? ""))</h1>
            <p class="meta"><b class="\(run[7] == "passed" ? "ok" : "bad")">\(esc((run[7] ?? "").uppercased()))</b>
             · \(esc(run[1] ?? "")) · seed \(esc(run[2] ?? "")) · \(esc(run[3] ?? "")) to \(esc(run[4] ?? "")) (\(esc(span)))
             · \(esc(run[9] ?? "")) writes · \(esc(run[10] ?? "")) reconciles · digest \(esc(run[6] ?? "")) · kruise-sim \(esc(run[8] ?? ""))</p>
            <nav><a href="#nodes">Pods per node</a> · <a href="#disk">Disk</a> · <a href="#jobs">Jobs</a> · <a href="#checks">Checks</a>\(reconcileErrors.isEmpty ? "" : " · <a href=\"#reconcile-errors\">Reconcile errors</a>") · <a href="#events">Events</a></nav>

            """
        h += try checksAxis(trace, duration)
        h += nodeTimeline(nodes, pods, duration)
        h += diskChart(nodes, samples, duration)
        h += try jobsChart(trace, duration)
        h += try checksTable(trace)
        h += reconcileErrors
        h += try eventsTable(trace)
        h += "<script>\(script)</script>\n</body></html>\n"
        return h
    }

    // MARK: Pieces

    /// Node names with their numbers in numeric order (n2 before n10); ties by plain comparison.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        switch a.compare(b, options: .numeric) {
        case .orderedAscending: return true
        case .orderedDescending: return false
        case .orderedSame: return a < b
        }
    }

    static func x(_ t: Double, _ duration: Double) -> Double { left + max(0, min(t, duration)) / duration * width }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func axis(_ duration: Double, y: Double) -> String {
        var s = "<g class=\"axis\">"
        let step = niceStep(duration / 8)
        var t = 0.0
        while t <= duration + 1e-9 {
            s += "<line x1=\"\(f(x(t, duration)))\" x2=\"\(f(x(t, duration)))\" y1=\"0\" y2=\"\(f(y))\"/>"
            s += "<text x=\"\(f(x(t, duration)))\" y=\"\(f(y + 12))\">+\(esc(formatSeconds(t)))</text>"
            t += step
        }
        return s + "</g>"
    }

    static func niceStep(_ raw: Double) -> Double {
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        return steps.first { $0 >= raw } ?? 86400 * (raw / 86400).rounded(.up)
    }

    static func ownerColor(_ owner: String) -> String {
        var hash: UInt32 = 2166136261
        for b in owner.utf8 { hash = (hash ^ UInt32(b)) &* 16777619 }
        return "hsl(\(hash % 360),55%,62%)"
    }

    static func phaseColor(_ phase: String) -> String {
        switch phase {
        case "Succeeded": return "#2e7d32"
        case "Failed": return "#c62828"
        case "Running": return "#1565c0"
        default: return "#757575"
        }
    }

    static func nodeTimeline(_ nodes: [String], _ pods: [PodSpan], _ duration: Double) -> String {
        var s = "<section id=\"nodes\"><h2>Pods per node</h2>"
        let rowH = 18.0
        if nodes.count <= maxNodeRows {
            s += "<p class=\"note\">Each bar is a pod from start (or bind) to finish (or deletion), filled by owner, edged by its last phase (<span style=\"color:#2e7d32\">Succeeded</span>, <span style=\"color:#c62828\">Failed</span>, <span style=\"color:#1565c0\">Running</span>, <span style=\"color:#757575\">other</span>). Hover for details.</p>"
            let hgt = Double(nodes.count) * rowH + 20
            s += "<svg class=\"chart\" width=\"\(f(left + width + 10))\" height=\"\(f(hgt))\">" + axis(duration, y: hgt - 20)
            var row: [String: Int] = [:]
            for (i, n) in nodes.enumerated() {
                row[n] = i
                s += "<text class=\"label\" x=\"\(f(left - 6))\" y=\"\(f(Double(i) * rowH + 13))\">\(esc(n))</text>"
            }
            for p in pods {
                guard let i = row[p.node] else { continue }
                let x0 = x(p.from, duration), x1 = max(x(p.to, duration), x0 + 2)
                s += "<rect class=\"pod\" data-pod=\"\(esc(p.name))\" data-node=\"\(esc(p.node))\" data-phase=\"\(esc(p.phase))\" x=\"\(f(x0))\" y=\"\(f(Double(i) * rowH + 2))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowH - 4))\" fill=\"\(ownerColor(p.owner))\" stroke=\"\(phaseColor(p.phase))\" stroke-width=\"2\"><title>\(esc(p.name)) on \(esc(p.node)) · \(esc(p.owner)) · \(esc(p.phase)) · +\(esc(formatSeconds(p.from))) to +\(esc(formatSeconds(p.to)))</title></rect>"
            }
            s += "</svg>"
        } else {
            // Bands of consecutive nodes; each cell's shade is the share of the band's nodes running a pod then.
            let bands = maxNodeRows
            let per = (nodes.count + bands - 1) / bands
            let cols = 150
            var index: [String: Int] = [:]
            for (i, n) in nodes.enumerated() { index[n] = i / per }
            var busy = Array(repeating: Array(repeating: 0.0, count: cols), count: bands)
            var failed = Array(repeating: 0, count: bands)
            for p in pods {
                guard let b = index[p.node] else { continue }
                if p.phase == "Failed" { failed[b] += 1 }
                let c0 = Int(max(0, p.from) / duration * Double(cols)), c1 = Int(min(duration, p.to) / duration * Double(cols))
                for c in max(0, c0)...min(cols - 1, max(c0, c1)) { busy[b][c] += 1 }
            }
            s += "<p class=\"note\">\(nodes.count) nodes in \(bands) bands of \(per) (in name order). A cell's shade is the share of the band's nodes running a pod in that slice of time; a red label marks a band with failed pods. \(pods.count) pods.</p>"
            let hgt = Double(bands) * rowH + 20
            s += "<svg class=\"chart\" width=\"\(f(left + width + 10))\" height=\"\(f(hgt))\">" + axis(duration, y: hgt - 20)
            let cw = width / Double(cols)
            for b in 0..<bands {
                let first = b * per
                guard first < nodes.count else { break }
                let last = min(nodes.count, first + per) - 1
                let size = Double(last - first + 1)
                s += "<text class=\"label\(failed[b] > 0 ? " badtext" : "")\" x=\"\(f(left - 6))\" y=\"\(f(Double(b) * rowH + 13))\">\(esc(nodes[first]))…\(esc(nodes[last]))</text>"
                for c in 0..<cols where busy[b][c] > 0 {
                    let share = min(1, busy[b][c] / size)
                    s += "<rect class=\"band\" x=\"\(f(left + Double(c) * cw))\" y=\"\(f(Double(b) * rowH + 2))\" width=\"\(f(cw + 0.3))\" height=\"\(f(rowH - 4))\" fill=\"#1565c0\" fill-opacity=\"\(String(format: "%.2f", 0.1 + 0.9 * share))\"><title>\(esc(nodes[first]))…\(esc(nodes[last])): \(Int(busy[b][c])) pod slices</title></rect>"
                }
            }
            s += "</svg>"
        }
        return s + "</section>\n"
    }

    static func diskChart(_ nodes: [String], _ samples: [Sample], _ duration: Double) -> String {
        var s = "<section id=\"disk\"><h2>Disk use per node</h2>"
        var series: [String: [(Double, Double)]] = [:]
        for x in samples {
            guard let u = x.used, let c = x.cap, c > 0 else { continue }
            let pct = u / c * 100
            if let last = series[x.node]?.last, last.1 == pct { continue }
            series[x.node, default: []].append((x.t, pct))
        }
        guard !series.isEmpty else { return s + "<p class=\"note\">No disk samples.</p></section>\n" }
        let hgt = 220.0, plotH = 190.0
        func y(_ pct: Double) -> Double { plotH - pct / 100 * (plotH - 10) }
        s += "<svg class=\"chart\" width=\"\(f(left + width + 10))\" height=\"\(f(hgt))\">" + axis(duration, y: plotH)
        for p in [0.0, 25, 50, 75, 100] {
            s += "<text class=\"label\" x=\"\(f(left - 6))\" y=\"\(f(y(p) + 4))\">\(Int(p))%</text>"
        }
        let drawn = nodes.filter { series[$0] != nil }
        var summary: [String] = []
        if drawn.count <= 12 {
            // Nodes whose disk went the same way draw one line; the legend says which share it.
            var firstWithPath: [String: String] = [:]
            for (i, n) in drawn.enumerated() {
                let pts = series[n]!
                var path = ""
                var prev: Double?
                for (t, pct) in pts {
                    if let pv = prev { path += " \(f(x(t, duration))),\(f(y(pv)))" }
                    path += " \(f(x(t, duration))),\(f(y(pct)))"
                    prev = pct
                }
                path += " \(f(x(duration, duration))),\(f(y(prev ?? 0)))"
                let color = "hsl(\((i * 97) % 360),60%,40%)"
                s += "<polyline class=\"disk\" data-node=\"\(esc(n))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"><title>\(esc(n))</title></polyline>"
                let first = pts.first!.1, lastPct = pts.last!.1
                let same = firstWithPath[path].map { " (the same line as \(esc($0)))" } ?? ""
                if firstWithPath[path] == nil { firstWithPath[path] = n }
                summary.append("<li class=\"disksum\" data-node=\"\(esc(n))\" data-from=\"\(f(first))\" data-to=\"\(f(lastPct))\"><span style=\"color:\(color)\">■</span> \(esc(n)): \(f(first))% → \(f(lastPct))%\(lastPct < first - 0.05 ? " (freed \(f(first - lastPct)) points)" : "")\(same)</li>")
            }
        } else {
            // Min, mean and max across nodes, in time slices.
            let cols = 150
            var mins = Array(repeating: Double.infinity, count: cols), maxs = Array(repeating: -Double.infinity, count: cols)
            var sums = Array(repeating: 0.0, count: cols)
            for n in drawn {
                let pts = series[n]!
                var j = 0
                var cur = pts[0].1
                for c in 0..<cols {
                    let t = (Double(c) + 0.5) / Double(cols) * duration
                    while j < pts.count && pts[j].0 <= t { cur = pts[j].1; j += 1 }
                    mins[c] = min(mins[c], cur); maxs[c] = max(maxs[c], cur); sums[c] += cur
                }
            }
            func line(_ v: [Double], _ cls: String, _ color: String) -> String {
                let pts = (0..<cols).map { c in "\(f(x((Double(c) + 0.5) / Double(cols) * duration, duration))),\(f(y(v[c])))" }.joined(separator: " ")
                return "<polyline class=\"disk \(cls)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(pts)\"/>"
            }
            s += line(maxs, "max", "#c62828") + line(sums.map { $0 / Double(drawn.count) }, "mean", "#1565c0") + line(mins, "min", "#2e7d32")
            summary.append("<li>\(drawn.count) nodes: <span style=\"color:#c62828\">max</span>, <span style=\"color:#1565c0\">mean</span> and <span style=\"color:#2e7d32\">min</span> disk use; mean \(f(sums[0] / Double(drawn.count)))% → \(f(sums[cols - 1] / Double(drawn.count)))%</li>")
        }
        s += "</svg><ul class=\"legend\">" + summary.joined() + "</ul></section>\n"
        return s
    }

    static func jobsChart(_ trace: TraceFile, _ duration: Double) throws -> String {
        var s = "<section id=\"jobs\"><h2>Jobs</h2>"
        let rows = try trace.rows("SELECT kind, name, phase, from_offset, until_offset, desired, active, succeeded, failed FROM job_phases")
        let slots = try trace.rows("SELECT name, offset_seconds, time FROM cron_slots ORDER BY seq")
        var order: [String] = []
        var spans: [String: [[String?]]] = [:]
        for r in rows {
            let key = "\(r[0] ?? "")/\(r[1] ?? "")"
            if spans[key] == nil { order.append(key) }
            spans[key, default: []].append(r)
        }
        guard !order.isEmpty else { return s + "<p class=\"note\">No jobs.</p></section>\n" }
        let shown = Array(order.prefix(maxJobs))
        if order.count > shown.count { s += "<p class=\"note\">The first \(shown.count) of \(order.count) jobs.</p>" }
        s += "<p class=\"note\">Each job's phase over time (<span style=\"color:#1565c0\">running/Active</span>, <span style=\"color:#2e7d32\">completed</span>, <span style=\"color:#c62828\">failed</span>, grey: other); ticks on an AdvancedCronJob's row are its cron slots.</p>"
        let rowH = 18.0
        let hgt = Double(shown.count) * rowH + 20
        s += "<svg class=\"chart\" width=\"\(f(left + width + 10))\" height=\"\(f(hgt))\">" + axis(duration, y: hgt - 20)
        for (i, key) in shown.enumerated() {
            let y0 = Double(i) * rowH
            s += "<text class=\"label\" x=\"\(f(left - 6))\" y=\"\(f(y0 + 13))\">\(esc(key))</text>"
            // Consecutive rows of one phase are one bar (a 20,000-pod job changes its counts 20,000
            // times); its tooltip gives the counts at the bar's end.
            var merged: [[String?]] = []
            for r in spans[key]! where r[2] != "Deleted" {
                if let last = merged.last, last[2] == r[2] {
                    var m = r
                    m[3] = last[3]
                    merged[merged.count - 1] = m
                } else {
                    merged.append(r)
                }
            }
            for r in merged {
                let from = Double(r[3] ?? "") ?? 0, to = Double(r[4] ?? "") ?? duration
                let phase = r[2] ?? ""
                let color: String
                switch phase.lowercased() {
                case "running", "active": color = "#1565c0"
                case "completed", "complete": color = "#2e7d32"
                case "failed": color = "#c62828"
                default: color = "#9e9e9e"
                }
                let x0 = x(from, duration), x1 = max(x(to, duration), x0 + 1)
                let counts = r[5] == nil ? "active \(r[6] ?? "0")" : "desired \(r[5] ?? "") active \(r[6] ?? "") succeeded \(r[7] ?? "") failed \(r[8] ?? "")"
                s += "<rect class=\"job\" data-job=\"\(esc(key))\" data-phase=\"\(esc(phase))\" x=\"\(f(x0))\" y=\"\(f(y0 + 3))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowH - 6))\" fill=\"\(color)\"><title>\(esc(key)) \(esc(phase.isEmpty ? "(no status)" : phase)) · \(esc(counts)) · +\(esc(formatSeconds(from)))</title></rect>"
            }
            if key.hasPrefix("AdvancedCronJob/") {
                let name = String(key.dropFirst("AdvancedCronJob/".count))
                for sl in slots where sl[0] == name {
                    let t = Double(sl[1] ?? "") ?? 0
                    s += "<line class=\"slot\" x1=\"\(f(x(t, duration)))\" x2=\"\(f(x(t, duration)))\" y1=\"\(f(y0))\" y2=\"\(f(y0 + rowH))\" stroke=\"#000\" stroke-width=\"2\"><title>cron slot \(esc(sl[2] ?? ""))</title></line>"
                }
            }
        }
        return s + "</svg></section>\n"
    }

    static func checksAxis(_ trace: TraceFile, _ duration: Double) throws -> String {
        let checks = try trace.rows("SELECT offset_seconds, location, subject, passed FROM checks ORDER BY seq")
        let viol = try trace.rows("SELECT offset_seconds, until_offset, invariant, message, expected FROM violations ORDER BY seq")
        var s = "<section><h2>Checks and invariants over time</h2><svg class=\"chart\" width=\"\(f(left + width + 10))\" height=\"60\">" + axis(duration, y: 40)
        s += "<text class=\"label\" x=\"\(f(left - 6))\" y=\"15\">checks</text><text class=\"label\" x=\"\(f(left - 6))\" y=\"33\">invariants</text>"
        for c in checks {
            let t = Double(c[0] ?? "") ?? 0
            let ok = c[3] == "1"
            s += "<circle class=\"checkmark \(ok ? "ok" : "bad")\" cx=\"\(f(x(t, duration)))\" cy=\"11\" r=\"5\" fill=\"\(ok ? "#2e7d32" : "#c62828")\"><title>\(ok ? "ok" : "FAILED") +\(esc(formatSeconds(t))) \(esc(c[2] ?? "")) (\(esc(c[1] ?? "")))</title></circle>"
        }
        if viol.isEmpty {
            s += "<text class=\"held\" x=\"\(f(left + 6))\" y=\"33\">no violation: every invariant held</text>"
        }
        for v in viol {
            let t = Double(v[0] ?? "") ?? 0, u = v[1].flatMap(Double.init) ?? t
            s += "<rect class=\"violation\" x=\"\(f(x(t, duration)))\" y=\"25\" width=\"\(f(max(3, x(u, duration) - x(t, duration))))\" height=\"10\" fill=\"\(v[4] == "1" ? "#ef6c00" : "#c62828")\"><title>\(esc(v[2] ?? "")) violated +\(esc(formatSeconds(t))): \(esc(v[3] ?? ""))</title></rect>"
        }
        return s + "</svg></section>\n"
    }

    static func checksTable(_ trace: TraceFile) throws -> String {
        var s = "<section id=\"checks\"><h2>Checks</h2><table><tr><th>at</th><th>result</th><th>check</th><th>where</th><th>details</th></tr>"
        for c in try trace.rows("SELECT offset_seconds, location, subject, passed, details FROM checks ORDER BY seq") {
            let ok = c[3] == "1"
            s += "<tr class=\"\(ok ? "ok" : "bad")\"><td>+\(esc(formatSeconds(Double(c[0] ?? "") ?? 0)))</td><td>\(ok ? "ok" : "FAILED")</td><td>\(esc(c[2] ?? ""))</td><td>\(esc(c[1] ?? ""))</td><td><pre>\(esc(c[4] ?? ""))</pre></td></tr>"
        }
        s += "</table><h2>Invariants</h2><table><tr><th>invariant</th><th>mode</th><th>result</th></tr>"
        let viol = try trace.rows("SELECT invariant, offset_seconds, message FROM violations ORDER BY seq")
        for i in try trace.rows("SELECT name, mode, violations FROM invariants") {
            let n = Int(i[2] ?? "") ?? 0
            let ok = i[1] == "off" || (n == 0) == (i[1] != "expected-violated")
            let detail = viol.filter { $0[0] == i[0] }.prefix(5).map { "+\(formatSeconds(Double($0[1] ?? "") ?? 0)): \($0[2] ?? "")" }.joined(separator: "\n")
            s += "<tr class=\"\(ok ? "ok" : "bad")\"><td>\(esc(i[0] ?? ""))</td><td>\(esc(i[1] ?? ""))</td><td>\(i[1] == "off" ? "off" : (n == 0 ? "held" : "\(n) violation\(n == 1 ? "" : "s")"))<pre>\(esc(detail))</pre></td></tr>"
        }
        return s + "</table></section>\n"
    }

    /// The reconciles that returned an error, a row per controller, key and message, those whose
    /// key's last reconcile still failed first marked; nothing when there were none.
    static func reconcileErrorsTable(_ trace: TraceFile) throws -> String {
        let groups = try trace.rows("""
            SELECT controller, key, result, count(*), min(finished_offset), max(finished_offset) FROM reconciles
            WHERE result LIKE 'error: %' GROUP BY controller, key, result ORDER BY min(id)
            """)
        guard !groups.isEmpty else { return "" }
        var last: [String: String] = [:]
        for r in try trace.rows("""
            SELECT controller, key, result FROM reconciles WHERE id IN (SELECT max(id) FROM reconciles GROUP BY controller, key) AND result LIKE 'error: %'
            """) { last[(r[0] ?? "") + " " + (r[1] ?? "")] = r[2] ?? "" }
        let total = groups.reduce(0) { $0 + (Int($1[3] ?? "") ?? 0) }
        var s = "<section id=\"reconcile-errors\"><h2>Reconcile errors (\(total))</h2>"
        s += "<p class=\"note\">Each failed reconcile is re-queued with back-off and tried again; a key whose last reconcile still failed is marked.</p>"
        s += "<table><tr><th>controller</th><th>key</th><th>times</th><th>first</th><th>last</th><th>error</th></tr>"
        for g in groups {
            let failing = last[(g[0] ?? "") + " " + (g[1] ?? "")] == g[2]
            let message = String((g[2] ?? "").dropFirst("error: ".count))
            s += "<tr class=\"\(failing ? "bad" : "")\"><td>\(esc(g[0] ?? ""))</td><td>\(esc(g[1] ?? ""))</td><td>\(esc(g[3] ?? ""))</td>"
            s += "<td>+\(esc(formatSeconds(Double(g[4] ?? "") ?? 0)))</td><td>+\(esc(formatSeconds(Double(g[5] ?? "") ?? 0)))</td>"
            s += "<td>\(failing ? "<b>still failing at the end:</b> " : "")\(esc(message))</td></tr>"
        }
        return s + "</table></section>\n"
    }

    static func eventsTable(_ trace: TraceFile) throws -> String {
        let total = Int(try trace.rows("SELECT count(*) FROM events")[0][0] ?? "") ?? 0
        var s = "<section id=\"events\"><h2>Events (\(total))</h2><input id=\"filter\" placeholder=\"filter events\" size=\"40\">"
        if total > maxEvents { s += "<p class=\"note\">The first \(maxEvents) of \(total); every one is in the trace's events table.</p>" }
        s += "<table id=\"eventtable\"><tr><th>at</th><th>type</th><th>reason</th><th>object</th><th>from</th><th>message</th></tr>"
        for e in try trace.rows("SELECT offset_seconds, type, reason, kind, name, component, message FROM events ORDER BY seq LIMIT \(maxEvents)") {
            s += "<tr class=\"\(e[1] == "Warning" ? "warn" : "")\"><td>+\(esc(formatSeconds(Double(e[0] ?? "") ?? 0)))</td><td>\(esc(e[1] ?? ""))</td><td>\(esc(e[2] ?? ""))</td><td>\(esc(e[3] ?? ""))/\(esc(e[4] ?? ""))</td><td>\(esc(e[5] ?? ""))</td><td>\(esc(e[6] ?? ""))</td></tr>"
        }
        return s + "</table></section>\n"
    }

    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    static let css = """
        body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}
        .meta{color:#555}.ok{color:#2e7d32}.bad{color:#c62828}.note{color:#666;margin:2px 0 6px}
        svg.chart{display:block;background:#fafafa;border:1px solid #ddd}.axis line{stroke:#e0e0e0}.axis text{font-size:10px;fill:#777;text-anchor:middle}
        text.held{font-size:11px;fill:#2e7d32}text.label{font-size:11px;text-anchor:end;fill:#333}text.badtext{fill:#c62828}rect.pod:hover,rect.job:hover{opacity:.7}
        table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left}
        tr.bad td{background:#fdecea}tr.warn td{background:#fff8e1}pre{margin:0;font-size:11px;white-space:pre-wrap}
        ul.legend{list-style:none;padding:0;margin:4px 0}
        """

    static let script = """
        document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
        document.querySelectorAll('#eventtable tr').forEach(function(r,i){if(i>0)r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''})});
        """
}
