import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Serve
@testable import Sim
import Engine

/// `kruise-sim serve` driven by the real `kubectl` (Debian's package; .ci/run installs it).
@Suite(.serialized) struct KubectlTests {
    /// kubectl on the PATH, or nil.
    static let kubectl: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/kubectl"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// A control plane tainted NoSchedule and two workers, for an hour.
    static let clusterYAML = """
        name: serve-test
        start: 2024-01-01T00:00:00Z
        duration: 1h
        nodes:
          - name: control-plane
            labels: {node-role.kubernetes.io/control-plane: ""}
            taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
          - namePrefix: worker
            count: 2

        """

    static let broadcastJob = """
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata:
          name: hello
          labels: {app: hello}
        spec:
          template:
            spec:
              containers:
                - name: hello
                  image: busybox
                  command: ["echo", "hello"]
              restartPolicy: Never
          completionPolicy:
            type: Always

        """

    /// A served cluster on a free loopback port, its simulation thread, and kubectl pointed at it.
    final class Served: @unchecked Sendable {
        let dir: URL
        let session: ServeSession
        let thread: Thread
        let done = DispatchSemaphore(value: 0)

        init(speed: Double, yaml: String = KubectlTests.clusterYAML, watchHistory: Int? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("kruise-sim-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let file = dir.appendingPathComponent("cluster.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let scenario = try ScenarioLoader.load(path: file.path)
            session = try ServeSession(scenario: scenario, address: "127.0.0.1", port: 0, speed: speed,
                                       kubeconfig: dir.appendingPathComponent("kubeconfig").path, trace: nil)
            session.cluster.log = { _ in }
            if let watchHistory { session.cluster.api.historyLimit = watchHistory }
            let s = session
            let sem = done
            thread = Thread { _ = try? s.run(); sem.signal() }
            thread.start()
        }

        func stop() {
            session.stop("test done")
            done.wait()
            try? FileManager.default.removeItem(at: dir)
        }

        /// Runs kubectl with `args` (and `stdin`), returning its exit status, stdout and stderr.
        @discardableResult
        func kubectl(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> (status: Int32, out: String, err: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: KubectlTests.kubectl!)
            p.arguments = ["--kubeconfig", dir.appendingPathComponent("kubeconfig").path,
                           "--cache-dir", dir.appendingPathComponent("cache").path] + args
            let out = Pipe(), err = Pipe(), inp = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = inp
            try p.run()
            if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
            try inp.fileHandleForWriting.close()
            let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            killer.cancel()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }

        /// kubectl that must succeed: its stdout.
        func ok(_ args: [String], stdin: String? = nil, _ loc: Testing.SourceLocation = #_sourceLocation) throws -> String {
            let r = try kubectl(args, stdin: stdin)
            #expect(r.status == 0, "kubectl \(args.joined(separator: " ")) failed: \(r.err)", sourceLocation: loc)
            return r.out
        }

        /// Polls `body` (wall time) until it returns true.
        func eventually(_ seconds: Double = 30, _ body: () throws -> Bool) rethrows -> Bool {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                if try body() { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func nodesApplyWaitPodsDescribeJsonpathDelete() throws {
        let s = try Served(speed: 50)
        defer { s.stop() }
        let nodes = try s.ok(["get", "nodes", "-o", "name"])
        #expect(nodes.split(separator: "\n") == ["node/control-plane", "node/worker1", "node/worker2"])

        #expect(try s.ok(["apply", "-f", "-"], stdin: Self.broadcastJob).contains("broadcastjob.apps.kruise.io/hello created"))
        let wait = try s.ok(["wait", "--for=condition=Complete", "bcj/hello", "--timeout=60s"])
        #expect(wait.contains("broadcastjob.apps.kruise.io/hello condition met"))

        // One pod per worker, none on the tainted control plane: the NODE column of -o wide.
        let wide = try s.ok(["get", "pods", "-o", "wide"]).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(wide.first?.prefix(7) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"])
        #expect(wide.dropFirst().map { $0[6] }.sorted() == ["worker1", "worker2"])
        #expect(wide.dropFirst().allSatisfy { $0[2] == "Completed" })
        // The CRD's printer columns, ages in virtual time.
        let bcj = try s.ok(["get", "bcj"]).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(bcj.first == ["NAME", "DESIRED", "ACTIVE", "SUCCEEDED", "FAILED", "AGE"])
        #expect(bcj.last?.prefix(5) == ["hello", "2", "0", "2", "0"])
        #expect(try s.ok(["get", "bcj", "hello", "-o", "jsonpath={.status.phase} {.status.succeeded}/{.status.desired}"]) == "completed 2/2")

        let describe = try s.ok(["describe", "bcj", "hello"])
        #expect(describe.contains("Name:         hello"))
        #expect(describe.contains("SuccessfulCreate"), "describe shows the controller's events:\n\(describe)")
        // The controller records JobComplete twice (a second reconcile from a stale cache, as
        // upstream's); the recorder sends the repeat as an update: one Event, count 2.
        #expect(describe.components(separatedBy: "JobComplete").count == 2, "one JobComplete row:\n\(describe)")
        #expect(describe.contains(" (x2 over "), "\(describe)")
        let complete = try s.ok(["get", "events", "--field-selector", "reason=JobComplete", "-o", "jsonpath={range .items[*]}{.count}{\"\\n\"}{end}"])
        #expect(complete == "2\n", "\(complete)")

        // Deleting the BroadcastJob: its pods go by garbage collection.
        #expect(try s.ok(["delete", "bcj", "hello"]).contains("broadcastjob.apps.kruise.io \"hello\" deleted"))
        let gone = try s.eventually { try s.ok(["get", "pods", "-o", "name"]).isEmpty }
        #expect(gone, "the BroadcastJob's pods were garbage-collected")
        let notFound = try s.kubectl(["get", "bcj", "hello"])
        #expect(notFound.status != 0)
        #expect(notFound.err.contains("Error from server (NotFound): broadcastjobs.apps.kruise.io \"hello\" not found"))
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func watchSeesThePhaseChanges() throws {
        let s = try Served(speed: 20)
        defer { s.stop() }
        // The watch runs in the background while the BroadcastJob is applied and completes.
        final class Box: @unchecked Sendable { var text = "" }
        let box = Box()
        let sem = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.text = (try? s.kubectl(["get", "bcj", "-w", "-o", "jsonpath={.metadata.name} {.status.phase}{\"\\n\"}"], timeout: 12).out) ?? ""
            sem.signal()
        }
        Thread.sleep(forTimeInterval: 1)
        _ = try s.ok(["apply", "-f", "-"], stdin: Self.broadcastJob)
        sem.wait()
        let watched = box.text
        let phases = watched.split(separator: "\n").map(String.init)
        #expect(phases.contains("hello running"), "watch output:\n\(watched)")
        #expect(phases.last == "hello completed", "watch output:\n\(watched)")
        if let r = phases.firstIndex(of: "hello running"), let c = phases.firstIndex(of: "hello completed") { #expect(r < c) }
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func rejectedManifestShowsTheWebhookMessage() throws {
        let s = try Served(speed: 10)
        defer { s.stop() }
        let bad = Self.broadcastJob.replacingOccurrences(of: "restartPolicy: Never", with: "restartPolicy: Always")
        let r = try s.kubectl(["apply", "-f", "-"], stdin: bad)
        #expect(r.status == 1)
        #expect(r.err.contains("admission webhook \"vbroadcastjob.kb.io\" denied the request: spec.template.spec.restartPolicy: Invalid value: \"Always\""),
                "stderr: \(r.err)")
        #expect(try s.ok(["get", "bcj", "-o", "name"]).isEmpty)
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func serverSideApplyAndRawDiscovery() throws {
        let s = try Served(speed: 10)
        defer { s.stop() }
        let apis = try s.ok(["get", "--raw", "/apis"])
        #expect(apis.contains("\"apps.kruise.io\""))
        #expect(apis.contains("\"batch\""))
        let res = try s.ok(["get", "--raw", "/apis/apps.kruise.io/v1alpha1"])
        #expect(res.contains("\"bcj\""))
        #expect(try s.ok(["apply", "--server-side", "-f", "-"], stdin: Self.broadcastJob).contains("broadcastjob.apps.kruise.io/hello serverside-applied"))
        let changed = Self.broadcastJob.replacingOccurrences(of: "labels: {app: hello}", with: "labels: {app: hello, tier: two}")
        #expect(try s.ok(["apply", "--server-side", "-f", "-"], stdin: changed).contains("serverside-applied"))
        #expect(try s.ok(["get", "bcj", "hello", "-o", "jsonpath={.metadata.labels.tier}"]) == "two")
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func pausedClockAdvancesOnlyWhenAsked() throws {
        let s = try Served(speed: 0)
        defer { s.stop() }
        func time() throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: Data(try s.ok(["get", "--raw", "/kruise-sim/time"]).utf8))
        }
        #expect(try time()["elapsedSeconds"]?.numberValue == 0)
        _ = try s.ok(["apply", "-f", "-"], stdin: Self.broadcastJob)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try time()["elapsedSeconds"]?.numberValue == 0, "paused: time does not pass")
        #expect(try s.ok(["get", "pods", "-o", "name"]).isEmpty, "paused: the controller has not acted yet")
        let r = try s.kubectl(["create", "--raw", "/kruise-sim/advance?by=2m", "-f", "-"], stdin: "{}")
        #expect(r.status == 0, "\(r.err)")
        #expect(try time()["elapsedSeconds"]?.numberValue == 120)
        #expect(try s.ok(["get", "bcj", "hello", "-o", "jsonpath={.status.phase}"]) == "completed")
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func strictValidationPatchesAndExplain() throws {
        let s = try Served(speed: 10)
        defer { s.stop() }
        // kubectl apply validates on the server (fieldValidation=Strict): an unknown field is refused.
        let typo = Self.broadcastJob.replacingOccurrences(of: "  completionPolicy:", with: "  completionPolicyy: {}\n  completionPolicy:")
        let r = try s.kubectl(["apply", "-f", "-"], stdin: typo)
        #expect(r.status == 1)
        #expect(r.err.contains("strict decoding error: unknown field \"spec.completionPolicyy\""), "stderr: \(r.err)")
        // A second apply of a changed manifest patches the object (JSON merge patch for a custom resource).
        _ = try s.ok(["apply", "-f", "-"], stdin: Self.broadcastJob)
        let paused = Self.broadcastJob.replacingOccurrences(of: "  completionPolicy:", with: "  paused: true\n  completionPolicy:")
        #expect(try s.ok(["apply", "-f", "-"], stdin: paused).contains("broadcastjob.apps.kruise.io/hello configured"))
        #expect(try s.ok(["get", "bcj", "hello", "-o", "jsonpath={.spec.paused}"]) == "true")
        // A JSON patch, and kubectl label (a strategic merge patch on a core kind).
        _ = try s.ok(["patch", "bcj", "hello", "--type=json", "-p", #"[{"op":"replace","path":"/spec/paused","value":false}]"#])
        // `paused` is `bool` with omitempty upstream: false is not written.
        #expect(try s.ok(["get", "bcj", "hello", "-o", "jsonpath={.spec.paused}"]) == "")
        _ = try s.ok(["label", "node", "worker1", "disk=ssd"])
        #expect(try s.ok(["get", "nodes", "-l", "disk=ssd", "-o", "name"]) == "node/worker1\n")
        // explain reads the served OpenAPI v3 documents.
        let explain = try s.ok(["explain", "bcj.spec.completionPolicy"])
        #expect(explain.contains("KIND:       BroadcastJob"))
        #expect(explain.contains("ttlSecondsAfterFinished"))
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func watchFromATooOldResourceVersionIsExpired() throws {
        let s = try Served(speed: 50, watchHistory: 5)
        defer { s.stop() }
        _ = try s.ok(["apply", "-f", "-"], stdin: Self.broadcastJob)
        _ = try s.ok(["wait", "--for=condition=Complete", "bcj/hello", "--timeout=60s"])
        // More than 5 writes since resourceVersion 1: the watch ends with an ERROR event, 410 Expired.
        let old = try s.ok(["get", "--raw", "/api/v1/pods?watch=true&resourceVersion=1"])
        #expect(old.contains(#""type":"ERROR""#) && old.contains(#""reason":"Expired""#) && old.contains(#""code":410"#), "\(old)")
        #expect(old.contains("too old resource version: 1"))
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed: apt-get install kubectl (.ci/run does)"))
    func streamingListEndsItsInitialEventsWithABookmark() throws {
        // client-go's WatchList (kubectl 1.34 and later: `kubectl wait`, `kubectl delete` waiting).
        let s = try Served(speed: 10)
        defer { s.stop() }
        let out = try s.ok(["get", "--raw", "/api/v1/nodes?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count >= 4, "\(out)")
        #expect(lines.prefix(3).allSatisfy { $0.hasPrefix(#"{"type":"ADDED""#) })
        #expect(lines[3].hasPrefix(#"{"type":"BOOKMARK""#) && lines[3].contains(#""k8s.io/initial-events-end":"true""#), "\(out)")
    }
}
