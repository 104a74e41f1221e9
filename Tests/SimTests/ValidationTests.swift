import Foundation
import Testing
@testable import Sim
import Engine

/// Manifests are validated as `kubectl apply` does by default (`--validate=strict`): an unknown
/// field is an error at its line and column naming its path; `settings.fieldValidation` switches
/// to Warn or Ignore. Matchers in `expect` reject unknown operators.
@Suite struct ValidationTests {
    func expectError(_ yaml: String, at needle: String, occurrence: Int = 1, contains parts: [String],
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let e = loadError(yaml) else {
            Issue.record("the scenario loaded without error", sourceLocation: sourceLocation)
            return
        }
        let want = position(of: needle, in: yaml, occurrence: occurrence)
        #expect(e.line == want.line && e.column == want.column,
                "error at \(e.line):\(e.column), expected \(want.line):\(want.column) (\(needle)): \(e)", sourceLocation: sourceLocation)
        for p in parts {
            #expect(e.message.contains(p), "message \(e.message.debugDescription) lacks \(p.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    static func bcj(_ spec: String, settings: String = "") -> String {
        """
        duration: 1m
        \(settings)
        nodes: [{name: n1}]
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: b}
            spec:
        \(spec)
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: x}]
        """
    }

    // MARK: Unknown fields (Strict, the default)

    @Test func aMisspeltBroadcastJobFieldIsAnErrorWithADidYouMean() {
        expectError(Self.bcj("      completionPolcy: {type: Always}"), at: "completionPolcy",
                    contains: ["unknown field \"spec.completionPolcy\"", "did you mean \"completionPolicy\"?", "strict decoding error"])
    }

    @Test func unknownFieldsDeepInACoreKindNameTheirListIndex() {
        let yaml = """
        duration: 1m
        nodes: [{name: n1}]
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              nodeName: n1
              containers:
                - {name: a, image: x}
                - name: b
                  image: x
                  env: [{name: A, valeu: "1"}]
                  requests: {cpu: 1}
        """
        expectError(yaml, at: "valeu", contains: ["unknown field \"spec.containers[1].env[0].valeu\" (did you mean \"value\"?)",
                                                   "also unknown field \"spec.containers[1].requests\""])
    }

    @Test func realFieldsTheEngineDoesNotModelAreAccepted() throws {
        // command, env, volumes, probes: the engine ignores them, the API server knows them.
        let s = try ScenarioLoader.load(text: """
        duration: 1m
        nodes: [{name: n1}]
        manifests:
          - apiVersion: batch/v1
            kind: Job
            metadata: {name: j, labels: {a: b}}
            spec:
              backoffLimit: 2
              template:
                metadata: {labels: {x: y}}
                spec:
                  restartPolicy: Never
                  volumes: [{name: v, emptyDir: {}}]
                  containers:
                    - name: c
                      image: x
                      command: [sh, -c, "true"]
                      env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                      livenessProbe: {exec: {command: ["true"]}, periodSeconds: 5}
                      volumeMounts: [{name: v, mountPath: /v}]
        """, file: "ok.yaml")
        #expect(s.manifests.count == 1)
        #expect(s.warnings.isEmpty)
    }

    @Test func aBroadcastJobsPodTemplateIsPreservedAsTheCRDSays() throws {
        // spec.template has x-kubernetes-preserve-unknown-fields: the API server keeps anything there.
        let s = try ScenarioLoader.load(text: Self.bcj("      parallelism: 1").replacingOccurrences(of: "restartPolicy: Never", with: "restartPolicy: Never\n          notAField: 1"), file: "ok.yaml")
        #expect(s.manifests.count == 1)
    }

    @Test func anAdvancedCronJobIsCheckedOutsideItsPreservedTemplates() throws {
        let acj = """
        duration: 1m
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: a}
            spec:
              schedule: "*/5 * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    completionPolicy: {type: Always, ttlSecondAfterFinished: 30}
                    template:
                      spec:
                        restartPolicy: Never
                        containers: [{name: c, image: x}]
        """
        expectError(acj, at: "ttlSecondAfterFinished",
                    contains: ["unknown field \"spec.template.broadcastJobTemplate.spec.completionPolicy.ttlSecondAfterFinished\"",
                               "did you mean \"ttlSecondsAfterFinished\"?"])
        // jobTemplate is preserved whole by the CRD.
        let job = """
        duration: 1m
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: a}
            spec:
              schedule: "*/5 * * * *"
              template:
                jobTemplate:
                  spec:
                    anything: 1
                    template:
                      spec:
                        restartPolicy: Never
                        containers: [{name: c, image: x}]
        """
        #expect(loadError(job) == nil)
    }

    @Test func aTimelineApplyIsValidatedToo() {
        let yaml = """
        duration: 1m
        nodes: [{name: n1}]
        timeline:
          - at: 10s
            apply:
              apiVersion: v1
              kind: Node
              metadata: {name: n2}
              spec: {unschedulabel: true}
        """
        expectError(yaml, at: "unschedulabel", contains: ["unknown field \"spec.unschedulabel\" (did you mean \"unschedulable\"?)"])
    }

    // MARK: settings.fieldValidation

    @Test func warnDropsTheFieldAndKeepsAWarningAtItsPosition() throws {
        let yaml = Self.bcj("      completionPolcy: {type: Never}", settings: "settings: {fieldValidation: Warn}") + """

        expect:
          - {at: 30s, object: bcj/b, fields: {spec.completionPolcy: {exists: false}, spec.completionPolicy.type: Always}}
          - {at: 30s, object: bcj/b, fields: {status.phase: completed}}
        """
        let s = try ScenarioLoader.load(text: yaml, file: "warn.yaml")
        #expect(s.warnings.count == 1)
        let w = try #require(s.warnings.first)
        let want = position(of: "completionPolcy", in: yaml)
        #expect(w.description == "warn.yaml:\(want.line):\(want.column): Warning: unknown field \"spec.completionPolcy\" (did you mean \"completionPolicy\"?)")
        // The misspelt {type: Never} was dropped: the job is an Always job and completes.
        expectPassed(Simulation(scenario: s).run(), checks: 2)
    }

    @Test func ignoreDropsTheFieldSilently() throws {
        let s = try ScenarioLoader.load(text: Self.bcj("      completionPolcy: {type: Never}", settings: "settings: {fieldValidation: ignore}"), file: "ok.yaml")
        #expect(s.warnings.isEmpty)
        #expect(s.settings.fieldValidation == .ignore)
        guard case .broadcastJob(let j) = s.manifests[0].object else { Issue.record("not a BroadcastJob"); return }
        #expect(j.spec.completionPolicy == nil)
        #expect(j.unknownFields?["spec"]?["completionPolcy"] == nil)
    }

    @Test func aBadFieldValidationValueSuggestsTheNearest() {
        expectError("duration: 1m\nsettings: {fieldValidation: Stict}\n", at: "Stict",
                    contains: ["settings.fieldValidation must be one of Strict, Warn, Ignore", "did you mean \"Strict\"?"])
    }

    // MARK: resourceVersion on create

    @Test func aManifestThatSetsResourceVersionGetsTheAPIServersError() {
        let yaml = """
        duration: 1m
        manifests:
          - apiVersion: v1
            kind: Node
            metadata: {name: n1, resourceVersion: "42"}
        """
        expectError(yaml, at: "resourceVersion", contains: ["resourceVersion should not be set on objects to be created"])
    }

    @Test func aTimelineApplyThatCreatesWithAResourceVersionFails() throws {
        let o = try runScenario("""
        duration: 1m
        timeline:
          - at: 5s
            apply:
              apiVersion: v1
              kind: Node
              metadata: {name: n1, resourceVersion: "42"}
        expect:
          - {at: 10s, absent: no/n1}
        """)
        #expect(o.actionErrors.count == 1)
        #expect(o.actionErrors.first?.message.contains("resourceVersion should not be set on objects to be created") == true)
        #expect(o.checks.count == 1 && o.checks[0].passed)
    }

    // MARK: Matchers

    @Test func anUnknownMatcherOperatorIsALoadErrorWithADidYouMean() {
        let yaml = """
        duration: 1m
        expect:
          - {at: 10s, count: pod, is: {gtee: 3}}
        """
        expectError(yaml, at: "gtee", contains: ["unknown matcher operator \"gtee\"", "did you mean \"gte\"?", "{eq: {...}}"])
        let inFields = """
        duration: 1m
        nodes: [{name: n1}]
        expect:
          - {at: 10s, node: n1, fields: {imageCount: {lt: 3, gtt: 1}}}
        """
        expectError(inFields, at: "gtt", contains: ["unknown matcher operator \"gtt\"", "did you mean \"gt\"?"])
    }

    /// A count or an events check compares a number: anything else would load and then fail
    /// every run, whatever happened.
    @Test func aCountMatcherThatIsNotAWholeNumberIsALoadError() {
        for (matcher, at, message) in [
            ("\"two\"", "\"two\"", "count is a number of objects: expected a whole number of 0 or more, found \"two\""),
            ("{gte: 2.5}", "2.5", "found 2.5"),
            ("{in: [1, two]}", "two]", "found \"two\""),
            ("-1", "-1", "found -1"),
            ("{matches: x}", "matches", "matches does not apply; use eq, ne, lt, lte, gt, gte or in"),
        ] {
            expectError("""
            duration: 1m
            expect:
              - {at: 10s, count: pod, is: \(matcher)}
            """, at: at, contains: [message])
        }
        expectError("""
        duration: 1m
        expect:
          - {at: 10s, events: {reason: Scheduled}, is: {exists: true}}
        """, at: "exists", contains: ["events is a number of objects: exists does not apply"])
    }

    /// An integer too large for its field names the field and the range, where the decoder said
    /// only "The given data was not valid JSON" at the manifest's start.
    @Test func anIntegerTooLargeForItsFieldNamesTheFieldAndTheRange() {
        func bcj(_ ttl: String) -> String {
            """
            duration: 1m
            manifests:
              - apiVersion: apps.kruise.io/v1alpha1
                kind: BroadcastJob
                metadata: {name: b}
                spec:
                  completionPolicy: {type: Always, ttlSecondsAfterFinished: \(ttl)}
                  template:
                    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
            """
        }
        expectError(bcj("2147483648"), at: "ttlSecondsAfterFinished", contains: [
            "spec.completionPolicy.ttlSecondsAfterFinished: 2147483648 is out of range: this field is a 32-bit integer (from -2147483648 to 2147483647)"])
        expectError(bcj("9223372036854775808"), at: "9223372036854775808", contains: [
            "spec.completionPolicy.ttlSecondsAfterFinished: 9223372036854775808 is out of range: this field is a 32-bit integer"])
        expectError("""
        duration: 1m
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec: {priority: -2147483649, containers: [{name: c, image: busybox}]}
        """, at: "priority", contains: ["spec.priority: -2147483649 is out of range: this field is a 32-bit integer"])
    }

    @Test func operatorsThatDoNotCombineAreAnError() {
        let yaml = """
        duration: 1m
        expect:
          - {at: 10s, count: pod, is: {gte: 1, in: [1, 2]}}
        """
        expectError(yaml, at: "in:", contains: ["matcher operator \"in\" does not combine"])
    }

    @Test func equalityWithAMapIsWrittenWithEq() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, labels: {zone: a}}]
        expect:
          - {at: 1s, node: n1, fields: {spec: {eq: {}}, metadata.labels: {ne: {zone: a}}}}
          - {at: 1s, node: n1, fields: {imageCount: {gte: 0, lt: 1}}}
        """)
        expectPassed(o, checks: 2)
    }
}
