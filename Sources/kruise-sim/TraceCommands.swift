import ArgumentParser
import Engine
import Foundation
import Sim

/// The commands that read a trace file (`run --trace FILE`): get, describe, events, report.
let traceCommands: [ParsableCommand.Type] = [Get.self, Describe.self, Events.self, Report.self]

/// Prints `message` on stderr and returns exit status 2 (invalid input).
func traceUsageError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    return ExitCode(2)
}

/// Opens a trace and reads `--at`, turning their errors into exit status 2.
func openTrace(_ path: String, at: String?) throws -> (TraceFile, Timestamp) {
    do {
        let t = try TraceFile(path: path)
        return (t, try t.instant(at))
    } catch {
        throw traceUsageError("kruise-sim: \(error)")
    }
}

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print what `kubectl get` would have printed at an instant of a traced run.",
        discussion: """
        KIND: broadcastjobs (bcj), advancedcronjobs (acj), pods (po), nodes (no), jobs; singular or plural.
        --at: an offset from the run's start (90s, 5m, 1h2m) or an RFC 3339 time; default the run's end.
        Exit status: 0, 1 when a named object does not exist at that instant, 2 for invalid input.
        """)

    @Argument(help: "The kind, e.g. bcj, pods.") var kind: String
    @Argument(help: "One object's name.") var name: String?
    @Option(help: "The trace file (kruise-sim run --trace FILE).") var trace: String
    @Option(parsing: .unconditional, help: "The virtual instant: an offset (5m) or an RFC 3339 time.") var at: String?
    @Option(name: .shortAndLong, help: "Output format: wide, yaml, json or name.") var output: String?
    @Option(name: .shortAndLong, help: "The namespace.") var namespace: String = "default"
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Objects of every namespace.") var allNamespaces = false

    func run() throws {
        let k: KnownKind
        do { k = try KubectlViews.kind(kind) } catch { throw traceUsageError("\(error)") }
        guard let out = KubectlViews.Output(rawValue: output ?? "") else {
            var msg = "error: unable to match a printer suitable for the output format \"\(output ?? "")\", allowed formats are: json, name, wide, yaml"
            if let s = KubectlViews.Output.allCases.map(\.rawValue).filter({ !$0.isEmpty }).min(by: { distance($0, output ?? "") < distance($1, output ?? "") }),
               distance(s, output ?? "") <= 2 { msg += " (did you mean \"\(s)\"?)" }
            throw traceUsageError(msg)
        }
        let (t, instant) = try openTrace(trace, at: at)
        let r: (stdout: String, stderr: String, found: Bool)
        do {
            r = try KubectlViews.get(t, kind: k, name: name, namespace: allNamespaces ? nil : namespace, at: instant, output: out)
        } catch {
            throw traceUsageError("kruise-sim: \(error)")
        }
        print(r.stdout, terminator: "")
        if !r.stderr.isEmpty { FileHandle.standardError.write(Data(r.stderr.utf8)) }
        if !r.found { throw ExitCode(1) }
    }

    private func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var d = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = d[0]
            d[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = d[j]
                d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return d[b.count]
    }
}

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Print what `kubectl describe` would have printed at an instant of a traced run, with the object's events.",
        discussion: "Exit status: 0, 1 when the object does not exist at that instant, 2 for invalid input.")

    @Argument(help: "The kind, e.g. bcj, pod, node.") var kind: String
    @Argument(help: "The object's name.") var name: String
    @Option(help: "The trace file (kruise-sim run --trace FILE).") var trace: String
    @Option(parsing: .unconditional, help: "The virtual instant: an offset (5m) or an RFC 3339 time.") var at: String?
    @Option(name: .shortAndLong, help: "The namespace.") var namespace: String = "default"

    func run() throws {
        let k: KnownKind
        do { k = try KubectlViews.kind(kind) } catch { throw traceUsageError("\(error)") }
        let (t, instant) = try openTrace(trace, at: at)
        let text: String?
        do { text = try KubectlViews.describe(t, kind: k, name: name, namespace: namespace, at: instant) } catch {
            throw traceUsageError("kruise-sim: \(error)")
        }
        guard let text else {
            FileHandle.standardError.write(Data("Error from server (NotFound): \(KubectlViews.pluralResource(k)) \"\(name)\" not found at \(instant.rfc3339)\n".utf8))
            throw ExitCode(1)
        }
        print(text, terminator: "")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the events of a traced run as `kubectl events` does (LAST SEEN relative to --at).",
        discussion: "Exit status: 0, 2 for invalid input.")

    @Option(help: "The trace file (kruise-sim run --trace FILE).") var trace: String
    @Option(name: .customLong("for"), help: "Only the events of this object: KIND/NAME (bcj/my-job, pod/p).") var forObject: String?
    @Option(parsing: .unconditional, help: "The virtual instant: an offset (5m) or an RFC 3339 time; events after it are not shown.") var at: String?

    func run() throws {
        var ref: (KnownKind, String)?
        if let f = forObject {
            do { ref = try KubectlViews.reference(f) } catch { throw traceUsageError("\(error)") }
        }
        let (t, instant) = try openTrace(trace, at: at)
        let text: String
        do { text = try KubectlViews.eventsTable(t, for: ref, at: instant) } catch { throw traceUsageError("kruise-sim: \(error)") }
        if text.isEmpty {
            FileHandle.standardError.write(Data("No events found.\n".utf8))
        }
        print(text, terminator: "")
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn a trace into a self-contained HTML page (--html) or a Perfetto / chrome://tracing file (--perfetto).",
        discussion: "Exit status: 0, 2 for invalid input (an unreadable trace, no output asked for, an unwritable file).")

    @Argument(help: "The trace file (kruise-sim run --trace FILE).") var trace: String
    @Option(help: "Write the HTML report here.") var html: String?
    @Option(help: "Write the Chrome trace-event JSON here (ui.perfetto.dev, chrome://tracing).") var perfetto: String?

    func run() throws {
        guard html != nil || perfetto != nil else {
            throw traceUsageError("kruise-sim report: say what to write: --html OUT.html and/or --perfetto OUT.json")
        }
        let (t, _) = try openTrace(trace, at: nil)
        var outputs: [(String, String)] = []
        do {
            if let html { outputs.append((html, try HTMLReport.render(t))) }
            if let perfetto { outputs.append((perfetto, try PerfettoReport.render(t))) }
        } catch {
            throw traceUsageError("kruise-sim report: \(error)")
        }
        for (path, text) in outputs {
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw traceUsageError("kruise-sim report: cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}
