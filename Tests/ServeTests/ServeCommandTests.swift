import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Engine

/// `kruise-sim serve` as a user starts it: the binary beside the test bundle.
@Suite struct ServeCommandTests {
    /// The `kruise-sim` executable `swift build` put beside the test bundle.
    static let binary: String? = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for base in [dir, dir.deletingLastPathComponent()] {
            let p = base.appendingPathComponent("kruise-sim").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    static func scratch() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("kruise-sim-serve-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs the binary to its end: exit status and stderr.
    static func run(_ args: [String]) throws -> (status: Int32, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary!)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil, "the kruise-sim executable is not built beside the tests"))
    func badInputExitsTwo() throws {
        let missing = try Self.run(["serve", "/nonexistent/cluster.yaml", "--port", "0"])
        #expect(missing.status == 2)
        #expect(missing.err.contains("/nonexistent/cluster.yaml: no such file"))
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml").path
        try "name: bad\nduration: 1h\nnodes: [{name: a, count: x}]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try Self.run(["serve", file, "--port", "0"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("bad.yaml:3:"), "a file:line:column error: \(bad.err)")
        let speed = try Self.run(["serve", file, "--speed", "-1"])
        #expect(speed.status == 2)
        #expect(speed.err.contains("--speed"))
    }

    @Test(.enabled(if: binary != nil, "the kruise-sim executable is not built beside the tests"))
    func interruptStopsCleanlyAndWritesTheTrace() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("cluster.yaml").path
        try "name: c\nduration: 1h\nnodes: [{namePrefix: n, count: 2}]\nexpect:\n  - {at: 30m, count: pod, is: 0}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let trace = dir.appendingPathComponent("run.sqlite").path
        let kubeconfig = dir.appendingPathComponent("kc").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = ["serve", file, "--port", "0", "--speed", "0", "--trace", trace, "--kubeconfig", kubeconfig]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // The URL alone on stdout's first line, and a kubeconfig naming it.
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            first.append(d)
        }
        let url = String(decoding: first, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect(try String(contentsOfFile: kubeconfig, encoding: .utf8).contains("server: \(url)"))
        // Paused: advance 45 virtual minutes through the control endpoint, so the 30m check comes due.
        var req = URLRequest(url: URL(string: url + "/kruise-sim/advance?by=45m")!)
        req.httpMethod = "POST"
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var status = 0 }
        let box = Box()
        URLSession.shared.dataTask(with: req) { _, r, _ in box.status = (r as? HTTPURLResponse)?.statusCode ?? 0; done.signal() }.resume()
        done.wait()
        #expect(box.status == 200)
        p.interrupt()  // SIGINT, as Ctrl-C
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "stderr: \(e)")
        #expect(e.contains("expect passed: count Pod"))
        #expect(e.contains("stopped at +45m: interrupted"))
        #expect(e.contains("trace written to \(trace)"))
        let head = try #require(FileHandle(forReadingAtPath: trace)?.readData(ofLength: 15))
        #expect(String(decoding: head, as: UTF8.self) == "SQLite format 3")
    }
}
