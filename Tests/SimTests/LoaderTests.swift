import Foundation
import Testing
@testable import Sim
import Engine

/// The 1-based line and column of the `occurrence`-th appearance of `needle` in `text`.
func position(of needle: String, in text: String, occurrence: Int = 1) -> (line: Int, column: Int) {
    var seen = 0
    for (i, line) in text.components(separatedBy: "\n").enumerated() {
        var search = line[...]
        while let r = search.range(of: needle) {
            seen += 1
            if seen == occurrence { return (i + 1, line.distance(from: line.startIndex, to: r.lowerBound) + 1) }
            search = line[r.upperBound...]
        }
    }
    Issue.record("\(needle) not in text")
    return (0, 0)
}

/// Scenario loading: every error is `FILE:LINE:COLUMN: message` at the offending spot.
@Suite struct LoaderTests {
    func expectError(_ yaml: String, at needle: String, occurrence: Int = 1, contains parts: [String],
                     file: String = "bad.yaml", sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let e = loadError(yaml, file: file) else {
            Issue.record("the scenario loaded without error", sourceLocation: sourceLocation)
            return
        }
        let want = position(of: needle, in: yaml, occurrence: occurrence)
        #expect(e.file == file, sourceLocation: sourceLocation)
        #expect(e.line == want.line && e.column == want.column,
                "error at \(e.line):\(e.column), expected \(want.line):\(want.column) (\(needle)): \(e)", sourceLocation: sourceLocation)
        for p in parts {
            #expect(e.message.contains(p), "message \(e.message.debugDescription) lacks \(p.debugDescription)", sourceLocation: sourceLocation)
        }
        #expect(e.description == "\(file):\(e.line):\(e.column): \(e.message)", sourceLocation: sourceLocation)
    }

    // MARK: The format of an error

    @Test func errorDescriptionIsFileLineColumnMessage() {
        let e = ScenarioError(file: "scenarios/x.yaml", line: 12, column: 7, message: "something is wrong")
        #expect(e.description == "scenarios/x.yaml:12:7: something is wrong")
        #expect("\(e)" == "scenarios/x.yaml:12:7: something is wrong")
    }

    @Test func aValidScenarioLoads() throws {
        let s = try ScenarioLoader.load(text: """
        name: ok
        seed: 9
        duration: 1h30m
        settings: {watchDelay: 10ms..30ms, clientQPS: 5, imagePullBandwidth: 68.6MB}
        nodes:
          - {namePrefix: w, count: 3, disk: {capacity: 79Gi, used: 1.5G}}
        images:
          "minchou/*": {run: 10s..20s}
        invariants: {cronOnTime: false, onePodPerNode: violated}
        expect:
          - {at: end, count: node, is: 3}
        """, file: "ok.yaml")
        #expect(s.name == "ok")
        #expect(s.seed == 9)
        #expect(s.duration == 5400)
        #expect(s.settings.watchDelay == DurationSpec(low: 0.01, high: 0.03))
        #expect(s.settings.clientQPS == 5)
        #expect(s.settings.imagePullBandwidth == 68_600_000)
        #expect(s.nodes.first?.names == ["w1", "w2", "w3"])
        #expect(s.nodes.first?.diskCapacity == 84_825_604_096)  // 79Gi
        #expect(s.nodes.first?.diskUsed == 1_500_000_000)
        #expect(s.mode(of: "cronOnTime") == .off)
        #expect(s.mode(of: "onePodPerNode") == .violated)
        #expect(s.mode(of: "ttlHonored") == .on)
        #expect(s.images.behavior(for: "docker.io/minchou/cleaner:v2").run == .duration(DurationSpec(low: 10, high: 20)))
        // The seed flag overrides the file; the name defaults to the file name.
        let t = try ScenarioLoader.load(text: "duration: 1m\nseed: 3", file: "dir/my-scenario.yaml", seedOverride: 77)
        #expect(t.seed == 77)
        #expect(t.name == "my-scenario")
    }

    // MARK: YAML

    @Test func yamlSyntaxError() {
        let yaml = """
        duration: 5m
        name: a: b
        """
        expectError(yaml, at: ": b", contains: ["YAML syntax error", "mapping values are not allowed"])
    }

    @Test func yamlSyntaxErrorSaysWhereTheUnclosedConstructStarts() {
        let flow = """
        duration: 5m
        nodes:
          - name: a
            labels: {x: y
        expect: []
        """
        guard let e = loadError(flow) else { Issue.record("loaded"); return }
        #expect(e.line == 5 && e.column == 7, "\(e)")
        #expect(e.message == "YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping that starts at line 4, column 13", "\(e)")

        let quote = "duration: 5m\nname: \"unterminated\nnodes: []\n"
        guard let q = loadError(quote) else { Issue.record("loaded"); return }
        #expect(q.line == 4 && q.column == 1, "\(q)")
        #expect(q.message == "YAML syntax error: found unexpected end of stream while scanning a quoted scalar that starts at line 2, column 7", "\(q)")
    }

    @Test func yamlTabIndentationIsExplained() {
        let e = loadError("duration: 5m\nnodes:\n\t- name: a\n", file: "tabs.yaml")
        #expect(e?.line == 3 && e?.column == 1, "\(e?.description ?? "")")
        #expect(e?.message.contains("found character that cannot start any token") == true, "\(e?.description ?? "")")
        #expect(e?.message.hasSuffix("(a tab: YAML indents with spaces only)") == true, "\(e?.description ?? "")")
    }

    @Test func emptyFileAndSeveralDocuments() {
        let empty = loadError("", file: "empty.yaml")
        #expect(empty?.description == "empty.yaml:1:1: the file is empty; a scenario needs at least `duration`")
        let two = loadError("duration: 1m\n---\nduration: 2m\n", file: "two.yaml")
        #expect(two?.message == "a scenario file holds one YAML document, found 2")
    }

    // MARK: Keys and types

    @Test func unknownTopLevelKeySuggestsTheNearestKey() {
        let yaml = """
        duration: 5m
        nodes: []
        manifest: []
        """
        expectError(yaml, at: "manifest", contains: ["unknown key \"manifest\" in the scenario", "did you mean \"manifests\"?", "expected one of: name, description"])
    }

    @Test func unknownKeyFarFromAnyHasNoSuggestion() {
        let yaml = "duration: 5m\nbananas: 3\n"
        guard let e = loadError(yaml) else { Issue.record("loaded"); return }
        #expect(e.line == 2 && e.column == 1)
        #expect(!e.message.contains("did you mean"))
    }

    @Test func unknownNestedKeys() {
        expectError("""
        duration: 5m
        settings:
          watchDelai: 10ms
        """, at: "watchDelai", contains: ["unknown key \"watchDelai\" in settings", "did you mean \"watchDelay\"?"])
        expectError("""
        duration: 5m
        nodes:
          - name: a
            lables: {x: y}
        """, at: "lables", contains: ["did you mean \"labels\"?"])
        expectError("""
        duration: 5m
        nodes: [{name: a}]
        timeline:
          - at: 1m
            cordn: a
        """, at: "cordn", contains: ["unknown key \"cordn\" in a timeline entry", "did you mean \"cordon\"?"])
    }

    @Test func missingDuration() {
        let e = loadError("name: x\nnodes: []\n", file: "nodur.yaml")
        #expect(e?.line == 1 && e?.column == 1)
        #expect(e?.message.contains("missing required key \"duration\"") == true)
    }

    @Test func wrongType() {
        expectError("""
        duration: 5m
        nodes:
          - namePrefix: w
            count: three
        """, at: "three", contains: ["count must be an integer from 1 to 100000, found a string (\"three\")"])
        expectError("""
        duration: 5m
        seed: [1, 2]
        """, at: "[1, 2]", contains: ["seed must be an integer from -9223372036854775808 to 18446744073709551615, found a list"])
        expectError("""
        duration: 5m
        nodes:
          - name: a
            unschedulable: maybe
        """, at: "maybe", contains: ["unschedulable must be true or false"])
        expectError("""
        duration: 5m
        nodes: {name: a}
        """, at: "{name: a}", contains: ["nodes must be a list, found a map"])
    }

    @Test func badDuration() {
        expectError("""
        name: x
        duration: 5 minutes
        """, at: "5 minutes", contains: ["duration: invalid duration \"5 minutes\"", "Go syntax such as 90s, 5m"])
        expectError("""
        duration: 5m
        settings: {watchDelay: 30ms..10ms}
        """, at: "30ms..10ms", contains: ["starts after it ends"])
        expectError("""
        duration: 5m
        timeline:
          - {at: soon, stopControllers: true}
        """, at: "soon", contains: ["\"soon\" is not a duration"])
        expectError("""
        duration: 5m
        timeline:
          - {at: 10m, stopControllers: true}
        """, at: "10m", contains: ["outside the scenario"])
    }

    @Test func badQuantityOrSize() {
        expectError("""
        duration: 5m
        nodes:
          - name: a
            disk: {capacity: 100 gigs}
        """, at: "100 gigs", contains: ["disk.capacity must be a size such as 68.6MB"])
        expectError("""
        duration: 5m
        nodes:
          - name: a
            allocatable: {cpu: lots}
        """, at: "lots", contains: ["allocatable.cpu must be a Kubernetes quantity"])
        expectError("""
        duration: 5m
        images:
          busybox: {size: big}
        """, at: "big", contains: ["size must be a size"])
        expectError("""
        duration: 5m
        settings:
          imagePullBandwidth: fast
        """, at: "fast", contains: ["settings.imagePullBandwidth must be a size"])
    }

    // MARK: References and nodes

    @Test func unknownReferenceKind() {
        expectError("""
        duration: 5m
        expect:
          - at: 1m
            object: foo/bar
            fields: {status.phase: running}
        """, at: "foo/bar", contains: ["unknown kind \"foo\" in \"foo/bar\"", "BroadcastJob (bcj)"])
        expectError("""
        duration: 5m
        expect:
          - {at: 1m, absent: justaname}
        """, at: "justaname", contains: ["must be Kind/name or Kind/namespace/name"])
        expectError("""
        duration: 5m
        timeline:
          - {at: 1m, delete: node/default/n1}
        """, at: "node/default/n1", contains: ["Node is not namespaced"])
    }

    @Test func shortNamesAndNamespacesResolve() throws {
        let s = try ScenarioLoader.load(text: """
        duration: 5m
        expect:
          - {at: 1m, absent: bcj/hello}
          - {at: 1m, absent: ACJ/ns1/cron}
          - {at: 1m, absent: po/p}
          - {at: 1m, absent: no/n1}
        """, file: "refs.yaml")
        let refs: [ObjectRef] = s.expectations.compactMap { if case .absent(let r) = $0.subject { return r } else { return nil } }
        #expect(refs.map(\.description) == ["BroadcastJob/default/hello", "AdvancedCronJob/ns1/cron", "Pod/default/p", "Node/n1"])
    }

    @Test func unknownNodeInATimelineAction() {
        expectError("""
        duration: 5m
        nodes:
          - {namePrefix: w, count: 2}
        timeline:
          - at: 1m
            cordon: w3
        """, at: "w3", contains: ["unknown node \"w3\" in cordon", "w1, w2"])
        expectError("""
        duration: 5m
        nodes: [{name: a}]
        timeline:
          - at: 1m
            taint: {node: b, key: k, effect: NoSchedule}
        """, at: "b,", contains: ["unknown node \"b\" in taint"])
    }

    @Test func nodesAddedLaterOrByManifestAreKnown() throws {
        let s = try ScenarioLoader.load(text: """
        duration: 5m
        manifests:
          - {apiVersion: v1, kind: Node, metadata: {name: fixture}}
        timeline:
          - {at: 1m, addNodes: {name: late}}
          - {at: 2m, cordon: late}
          - {at: 2m, cordon: fixture}
        """, file: "ok.yaml")
        #expect(s.timeline.count == 3)
    }

    @Test func timelineEntryNeedsExactlyOneAction() {
        expectError("""
        duration: 5m
        nodes: [{name: a}]
        timeline:
          - {at: 1m, cordon: a, uncordon: a}
        """, at: "{at: 1m", contains: ["exactly one action, found cordon, uncordon"])
    }

    @Test func unknownInvariantAndBadMode() {
        expectError("""
        duration: 5m
        invariants:
          onePodPerNod: false
        """, at: "onePodPerNod", contains: ["unknown invariant \"onePodPerNod\"", "did you mean \"onePodPerNode\"?"])
        expectError("""
        duration: 5m
        invariants:
          ttlHonored: sometimes
        """, at: "sometimes", contains: ["must be true, false or violated"])
    }

    @Test func badExpectations() {
        expectError("""
        duration: 5m
        expect:
          - at: 1m
            object: bcj/x
        """, at: "at: 1m", contains: ["object needs fields"])
        expectError("""
        duration: 5m
        expect:
          - {at: 1m, count: pod, is: {matches: "("}}
        """, at: "\"(\"", contains: ["invalid regular expression"])
        expectError("""
        duration: 5m
        expect:
          - {at: 1m, object: bcj/x, fields: {"status.conditions[type=Failed": x}}
        """, at: "\"status.conditions", contains: ["bad field path", "unclosed ["])
    }

    // MARK: Manifests

    @Test func manifestRejectedByAdmissionQuotesTheUpstreamMessage() {
        let yaml = """
        duration: 5m
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJob
            metadata: {name: always}
            spec:
              template:
                spec:
                  restartPolicy: Always
                  containers: [{name: c, image: busybox}]
        """
        // The error points at the refused field where the manifest spells it.
        expectError(yaml, at: "restartPolicy", contains: [
            "admission rejected BroadcastJob \"always\"",
            "spec.template.spec.restartPolicy: Invalid value: \"Always\": pod restartPolicy can only be Never or OnFailure",
        ])
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: AdvancedCronJob
            metadata: {name: x}
            spec:
              schedule: "*/5 * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template:
                      spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
        """, at: "schedule", contains: ["spec.schedule: Invalid value: \"*/5 * * *\": expected exactly 5 fields, found 4"])
        // A refused field the manifest leaves to a default: the deepest part it spells.
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {name: "Bad_Name"}
            spec: {containers: [{name: c, image: busybox}]}
        """, at: "name: \"Bad", contains: ["metadata.name: Invalid value: \"Bad_Name\""])
    }

    /// A key spelt twice in one map: the error points at the second, not at the map's start.
    @Test func aDuplicateKeyPointsAtItsSecondSpelling() {
        expectError("""
        name: a
        duration: 5m
        name: b
        """, at: "name: b", contains: ["duplicate key \"name\" in one map: YAML keys must be unique; the first is at line 1"])
        expectError("""
        duration: 5m
        nodes:
          - name: a
            labels: {x: y}
            name: b
        """, at: "name: b", contains: ["duplicate key \"name\"", "the first is at line 3"])
    }

    @Test func aFileThatIsNotUTF8IsAnErrorAtTheByte() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let latin1 = dir.appendingPathComponent("latin1.yaml").path
        _ = FileManager.default.createFile(atPath: latin1, contents: Data("duration: 5m\ndescription: caf".utf8) + Data([0xE9]) + Data("\n".utf8))
        #expect {
            _ = try ScenarioLoader.load(path: latin1)
        } throws: { e in
            let e = e as? ScenarioError
            return e?.line == 2 && e?.column == 17 && e?.message.hasPrefix("not UTF-8 text") == true
        }
        let utf16 = dir.appendingPathComponent("utf16.yaml").path
        _ = FileManager.default.createFile(atPath: utf16, contents: Data([0xFF, 0xFE]) + "duration: 5m\n".data(using: .utf16LittleEndian)!)
        #expect {
            _ = try ScenarioLoader.load(path: utf16)
        } throws: { e in
            (e as? ScenarioError)?.message.contains("this one starts like UTF-16: save it as UTF-8") == true
        }
    }

    @Test func aMisspeltKindHasADidYouMean() {
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJobb
            metadata: {name: x}
        """, at: "BroadcastJobb", contains: ["no matches for kind \"BroadcastJobb\"", "(did you mean \"BroadcastJob\"?)"])
    }

    /// A manifest run as a scenario is told for what it is, not as an unknown key "apiVersion".
    @Test func aManifestRunAsAScenarioSaysHowToApplyIt() {
        expectError("""
        # the manifest applied in production
        apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata: {name: cleaner}
        """, at: "apiVersion", contains: ["this is a Kubernetes manifest (kind AdvancedCronJob), not a scenario",
                                           "`manifestFiles: [bad.yaml]`"])
    }

    @Test func fieldPathsBecomeStepsIntoTheManifest() {
        #expect(ScenarioLoader.fieldPathSteps("spec.template.spec.containers[0].image")
                == [.key("spec"), .key("template"), .key("spec"), .key("containers"), .index(0), .key("image")])
        #expect(ScenarioLoader.fieldPathSteps("metadata.annotations[a.b/c]") == [.key("metadata"), .key("annotations"), .key("a.b/c")])
        #expect(ScenarioLoader.fieldPathSteps("spec") == [.key("spec")])
        #expect(ScenarioLoader.fieldPathSteps("").isEmpty)
    }

    @Test func manifestFieldOfTheWrongTypePointsAtIt() {
        let yaml = """
        duration: 5m
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJob
            metadata: {name: j}
            spec:
              parallelism: [1]
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: busybox}]
        """
        guard let e = loadError(yaml) else { Issue.record("loaded"); return }
        #expect(e.line == position(of: "[1]", in: yaml).line, "\(e)")
        #expect(e.column == position(of: "[1]", in: yaml).column, "\(e)")
        #expect(e.message.contains("spec.parallelism"), "\(e)")
        #expect(e.message.contains("found a list"), "\(e)")

        let deep = """
        duration: 5m
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
                - name: c
                  image: busybox
                  command: sleep 10
        """
        guard let d = loadError(deep) else { Issue.record("loaded"); return }
        #expect(d.line == position(of: "sleep 10", in: deep).line, "\(d)")
        #expect(d.column == position(of: "sleep 10", in: deep).column, "\(d)")
        #expect(d.message.contains("spec.containers[0].command"), "\(d)")
        #expect(d.message.contains("expected a list"), "\(d)")
    }

    @Test func manifestWithAnUnknownKindOrVersion() {
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
        """, at: "Deployment", contains: ["no matches for kind \"Deployment\" in version \"apps/v1\""])
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: apps.kruise.io/v1
            kind: BroadcastJob
            metadata: {name: d}
        """, at: "BroadcastJob", contains: ["expected apiVersion apps.kruise.io/v1alpha1"])
    }

    @Test func manifestWithoutAName() {
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {labels: {a: b}}
            spec: {containers: [{name: c, image: busybox}]}
        """, at: "apiVersion", contains: ["Pod manifest needs metadata.name"])
        expectError("""
        duration: 5m
        manifests:
          - apiVersion: v1
            kind: Pod
            spec: {containers: [{name: c, image: busybox}]}
        """, at: "apiVersion", contains: ["metadata: required field is missing"])
    }

    @Test func timelineApplyIsAdmittedAtLoadTime() {
        expectError("""
        duration: 5m
        timeline:
          - at: 1m
            apply:
              apiVersion: apps.kruise.io/v1beta1
              kind: BroadcastJob
              metadata: {name: late}
              spec:
                template:
                  spec: {restartPolicy: Always, containers: [{name: c, image: busybox}]}
        """, at: "restartPolicy", contains: ["admission rejected BroadcastJob \"late\"", "pod restartPolicy can only be Never or OnFailure"])
    }

    // MARK: manifestFiles

    @Test func manifestFilesWithSeveralDocumentsAreAppliedAfterManifests() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata: {name: from-file-1}
        spec:
          template:
            spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
        ---
        # an empty document is skipped
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: from-file-2}
        spec: {containers: [{name: c, image: busybox}]}
        """.write(to: dir.appendingPathComponent("fixtures.yaml"), atomically: true, encoding: .utf8)
        let scenarioPath = dir.appendingPathComponent("s.yaml").path
        try """
        duration: 1m
        manifests:
          - {apiVersion: v1, kind: Pod, metadata: {name: inline}, spec: {containers: [{name: c, image: busybox}]}}
        manifestFiles: [fixtures.yaml]
        """.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let s = try ScenarioLoader.load(path: scenarioPath)
        #expect(s.manifests.map { $0.object.metadata.name ?? "" } == ["inline", "from-file-1", "from-file-2"])
        #expect(s.manifests[1].location.file.hasSuffix("fixtures.yaml"))
        #expect(s.manifests[1].location.line == 1)
        #expect(s.manifests[2].location.line == 10)
        // And they are in the store at t = 0.
        let o = Simulation(scenario: s).run()
        #expect(o.actionErrors.isEmpty)
    }

    @Test func anErrorInAManifestFileNamesThatFileAndLine() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixtures = """
        apiVersion: v1
        kind: Pod
        metadata: {name: fine}
        spec: {containers: [{name: c, image: busybox}]}
        ---
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata: {name: broken}
        spec:
          parallelism: [1]
          template:
            spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
        """
        let fixturesPath = dir.appendingPathComponent("more.yaml").path
        try fixtures.write(toFile: fixturesPath, atomically: true, encoding: .utf8)
        let scenarioPath = dir.appendingPathComponent("s.yaml").path
        try "duration: 1m\nmanifestFiles: [more.yaml, missing.yaml]\n".write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioLoader.load(path: scenarioPath)
            Issue.record("loaded")
        } catch let e as ScenarioError {
            #expect(e.file == fixturesPath)
            #expect(e.line == 10 && e.column == 16, "\(e)")
            #expect(e.message.contains("spec.parallelism"))
        }
        // A file that cannot be read is reported at its entry in the scenario.
        try "duration: 1m\nmanifestFiles:\n  - missing.yaml\n".write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioLoader.load(path: scenarioPath)
            Issue.record("loaded")
        } catch let e as ScenarioError {
            #expect(e.file == scenarioPath)
            #expect(e.line == 3 && e.column == 5, "\(e)")
            #expect(e.message.contains("cannot read manifest file"))
            #expect(e.message.contains("missing.yaml"))
        }
    }

    @Test func aYAMLErrorInAManifestFileNamesThatFile() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: a: b}\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let scenarioPath = dir.appendingPathComponent("s.yaml").path
        try "duration: 1m\nmanifestFiles: [bad.yaml]\n".write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioLoader.load(path: scenarioPath)
            Issue.record("loaded")
        } catch let e as ScenarioError {
            #expect(e.file.hasSuffix("bad.yaml"))
            #expect(e.line == 3, "\(e)")
            #expect(e.message.hasPrefix("YAML syntax error"))
        }
    }

    @Test func aMissingScenarioFile() {
        do {
            _ = try ScenarioLoader.load(path: "/nonexistent/dir/none.yaml")
            Issue.record("loaded")
        } catch let e as ScenarioError {
            #expect(e.description == "/nonexistent/dir/none.yaml: no such file")
        } catch {
            Issue.record("\(error)")
        }
    }
}
