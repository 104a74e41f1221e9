import Foundation
import Testing
import Yams
@testable import Engine

/// Defaulting and validation of every kind (broadcastjob.md §1, advancedcronjob.md §1.1, Kubernetes core/batch
/// validation), checked through `Admission.admit` with the exact upstream messages.
@Suite struct AdmissionTests {
    // MARK: Fixtures

    static let dns1123SubdomainMsg =
        #"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
    static let created = Timestamp(unixSeconds: 1_700_000_000)

    static func meta(_ name: String, uid: String = "uid-1", labels: [String: String]? = nil) -> ObjectMeta {
        var m = ObjectMeta(name: name, namespace: "default", labels: labels)
        m.uid = uid
        m.creationTimestamp = created
        return m
    }

    static func container(_ name: String = "main", image: String? = "busybox:1.36") -> Container {
        Container(name: name, image: image)
    }

    static func pod(_ name: String = "p", containers: [Container] = [container()], restartPolicy: String? = "Never") -> Pod {
        Pod(metadata: meta(name), spec: PodSpec(containers: containers, restartPolicy: restartPolicy))
    }

    static func job(_ name: String = "j", restartPolicy: String? = "Never") -> Job {
        Job(metadata: meta(name), spec: JobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [container()], restartPolicy: restartPolicy))))
    }

    static func bcj(_ name: String = "bcj", restartPolicy: String? = "Never", image: String? = "busybox:1.36") -> BroadcastJob {
        BroadcastJob(metadata: meta(name), spec: BroadcastJobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [container(image: image)], restartPolicy: restartPolicy))))
    }

    static func acj(_ name: String = "acj", schedule: String = "*/5 * * * *", restartPolicy: String? = "Never") -> AdvancedCronJob {
        let template = BroadcastJobTemplateSpec(metadata: nil, spec: BroadcastJobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [container()], restartPolicy: restartPolicy))))
        return AdvancedCronJob(metadata: meta(name), spec: AdvancedCronJobSpec(schedule: schedule, template: CronJobTemplate(broadcastJobTemplate: template)))
    }

    static func admit(_ o: APIObject, old: APIObject? = nil, options: AdmissionOptions = AdmissionOptions()) throws -> APIObject {
        try Admission.admit(o, old: old, options: options)
    }

    /// The APIError message of a rejected admission, or nil when admitted (then the test fails at the `#expect`).
    static func rejection(_ o: APIObject, old: APIObject? = nil) -> String? {
        do {
            _ = try Admission.admit(o, old: old, options: AdmissionOptions())
            return nil
        } catch {
            // A kruise validating webhook's denial carries the webhook's code and no reason (BroadcastJob 500,
            // AdvancedCronJob 422); the API server's own checks answer 422 Invalid.
            if error.message.hasPrefix(#"admission webhook "vbroadcastjob.kb.io" denied the request: "#) {
                #expect(error.code == 500)
                #expect(error.reason == .unknown)
            } else if error.message.hasPrefix(#"admission webhook "vadvancedcronjob.kb.io" denied the request: "#) {
                #expect(error.code == 422)
                #expect(error.reason == .unknown)
            } else {
                #expect(error.code == 422)
                #expect(error.reason == .invalid)
            }
            return error.message
        }
    }

    static func admittedPod(_ p: Pod, options: AdmissionOptions = AdmissionOptions()) throws -> Pod {
        guard case .pod(let x) = try admit(.pod(p), options: options) else { throw AdmissionTestError.wrongKind }
        return x
    }
    static func admittedJob(_ j: Job, old: Job? = nil) throws -> Job {
        guard case .job(let x) = try admit(.job(j), old: old.map(APIObject.job)) else { throw AdmissionTestError.wrongKind }
        return x
    }
    static func admittedBCJ(_ b: BroadcastJob, old: BroadcastJob? = nil) throws -> BroadcastJob {
        guard case .broadcastJob(let x) = try admit(.broadcastJob(b), old: old.map(APIObject.broadcastJob)) else { throw AdmissionTestError.wrongKind }
        return x
    }
    static func admittedACJ(_ a: AdvancedCronJob, old: AdvancedCronJob? = nil) throws -> AdvancedCronJob {
        guard case .advancedCronJob(let x) = try admit(.advancedCronJob(a), old: old.map(APIObject.advancedCronJob)) else { throw AdmissionTestError.wrongKind }
        return x
    }

    enum AdmissionTestError: Error { case wrongKind }

    static func q(_ s: String) -> Quantity { Quantity(parsing: s)! }

    /// Decodes a YAML manifest the way the scenario loader does (YAML -> value tree -> model).
    static func decodeYAML(_ yaml: String) throws -> (APIObject, JSONValue) {
        let raw = try YAMLDecoder().decode(JSONValue.self, from: yaml)
        return (try APIObject.decode(manifest: raw), raw)
    }

    /// Every key and value of `subset` is present in `superset` (arrays element by element).
    static func missingPaths(_ subset: JSONValue, in superset: JSONValue?, path: String = "") -> [String] {
        switch subset {
        case .object(let o):
            guard case .object(let s)? = superset else { return [path] }
            return o.flatMap { k, v in missingPaths(v, in: s[k], path: path + "." + k) }
        case .array(let a):
            guard case .array(let s)? = superset, s.count == a.count else { return [path] }
            return a.enumerated().flatMap { i, v in missingPaths(v, in: s[i], path: "\(path)[\(i)]") }
        default:
            return SemanticEquality.equal(subset, superset) ? [] : [path]
        }
    }

    static let seedACJ = """
        apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata:
          name: acj-test
        spec:
          schedule: "*/5 * * * *"
          startingDeadlineSeconds: 60
          template:
            broadcastJobTemplate:
              spec:
                template:
                  spec:
                    containers:
                      - name: node-cleaner
                        image: minchou/cleaner:v1
                        imagePullPolicy: IfNotPresent
                        env:
                          - name: CONTAINER_RUNTIME_ENDPOINT
                            value: unix:///var/run/containerd/containerd.sock
                        volumeMounts:
                          - name: containerd
                            mountPath: /var/run/containerd
                    volumes:
                      - name: containerd
                        hostPath:
                          path: /var/run/containerd
                    restartPolicy: OnFailure
                completionPolicy:
                  type: Always
                  ttlSecondsAfterFinished: 90
                failurePolicy:
                  type: Continue
                  restartLimit: 3
        """

    static func bcjYAML(restartPolicyLine: String, completionPolicy: String = "") -> String {
        """
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata:
          name: cleaner
        spec:
          template:
            spec:
              containers:
                - name: cleaner
                  image: minchou/cleaner:v1
        \(restartPolicyLine.isEmpty ? "" : "      " + restartPolicyLine)
        \(completionPolicy)
        """
    }

    // MARK: ObjectMeta

    @Test func nameOrGenerateNameIsRequired() async {
        var p = Self.pod()
        p.metadata.name = nil
        #expect(Self.rejection(.pod(p)) == #"Pod "" is invalid: metadata.name: Required value: name or generateName is required"#)
    }

    @Test func generateNameIsValidatedAsAPrefix() async throws {
        var p = Self.pod()
        p.metadata.name = nil
        p.metadata.generateName = "cleaner-"
        let admitted = try Self.admittedPod(p)
        #expect(admitted.metadata.name == nil)
        p.metadata.generateName = "Cleaner-"
        #expect(Self.rejection(.pod(p)) == #"Pod "" is invalid: metadata.generateName: Invalid value: "Cleaner-": "# + Self.dns1123SubdomainMsg)
    }

    @Test func podNameMustBeADNSSubdomain() async {
        #expect(Self.rejection(.pod(Self.pod("My_Pod"))) == #"Pod "My_Pod" is invalid: metadata.name: Invalid value: "My_Pod": "# + Self.dns1123SubdomainMsg)
        let long = String(repeating: "a", count: 254)
        #expect(Self.rejection(.pod(Self.pod(long))) == "Pod \"\(long)\" is invalid: metadata.name: Invalid value: \"\(long)\": must be no more than 253 characters")
    }

    @Test func namespaceDefaultsToDefault() async throws {
        var p = Self.pod()
        p.metadata.namespace = nil
        #expect(try Self.admittedPod(p).metadata.namespace == "default")
        var b = Self.bcj()
        b.metadata.namespace = ""
        #expect(try Self.admittedBCJ(b).metadata.namespace == "default")
    }

    @Test func labelKeysAndValuesAreChecked() async {
        let longValue = String(repeating: "v", count: 64)
        var p = Self.pod()
        p.metadata.labels = ["app": longValue]
        #expect(Self.rejection(.pod(p)) == "Pod \"p\" is invalid: metadata.labels: Invalid value: \"\(longValue)\": must be no more than 63 characters")
        p.metadata.labels = ["app": "-bad"]
        #expect(Self.rejection(.pod(p)) == #"Pod "p" is invalid: metadata.labels: Invalid value: "-bad": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#)
        p.metadata.labels = ["bad key!": "x"]
        #expect(Self.rejection(.pod(p)) == #"Pod "p" is invalid: metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#)
        p.metadata.labels = ["example.com/app": "", "app": "web_1.x"]
        #expect(Self.rejection(.pod(p)) == nil)
    }

    // MARK: Pod defaults

    @Test func podSpecDefaults() async throws {
        var p = Self.pod(containers: [
            Self.container("a", image: "nginx"),
            Self.container("b", image: "nginx:latest"),
            Self.container("c", image: "nginx:1.25"),
            Self.container("d", image: "registry.example.com:5000/team/nginx"),
            Self.container("e", image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            Container(name: "f", image: "nginx", imagePullPolicy: "Never"),
        ], restartPolicy: nil)
        p.spec.initContainers = [Self.container("init", image: "busybox")]
        let a = try Self.admittedPod(p)
        #expect(a.spec.restartPolicy == "Always")
        #expect(a.spec.dnsPolicy == "ClusterFirst")
        #expect(a.spec.schedulerName == "default-scheduler")
        #expect(a.spec.terminationGracePeriodSeconds == 30)
        #expect(a.spec.securityContext == .object([:]))
        #expect(a.spec.containers.map(\.imagePullPolicy) == ["Always", "Always", "IfNotPresent", "Always", "IfNotPresent", "Never"])
        #expect(a.spec.initContainers?.first?.imagePullPolicy == "Always")
        #expect(a.spec.containers.allSatisfy { $0.terminationMessagePath == "/dev/termination-log" && $0.terminationMessagePolicy == "File" })
    }

    @Test func podRequestsDefaultToLimits() async throws {
        var c = Self.container()
        c.resources = ResourceRequirements(requests: ["cpu": Self.q("100m")], limits: ["cpu": Self.q("500m"), "memory": Self.q("1Gi")])
        let a = try Self.admittedPod(Self.pod(containers: [c]))
        #expect(a.spec.containers[0].resources?.requests == ["cpu": Self.q("100m"), "memory": Self.q("1Gi")])
    }

    @Test func defaultTolerationSecondsPlugin() async throws {
        let a = try Self.admittedPod(Self.pod(), options: AdmissionOptions(defaultTolerationSeconds: 42))
        #expect(a.spec.tolerations == [
            Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 42),
            Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 42),
        ])
        // A pod that already tolerates everything (empty key, Exists) gets nothing added.
        var all = Self.pod()
        all.spec.tolerations = [Toleration(operator: "Exists")]
        #expect(try Self.admittedPod(all).spec.tolerations == [Toleration(operator: "Exists")])
        // One already tolerated: only the other is added, with the default 300s.
        var one = Self.pod()
        one.spec.tolerations = [Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5)]
        #expect(try Self.admittedPod(one).spec.tolerations == [
            Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5),
            Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300),
        ])
    }

    // MARK: Pod validation

    @Test func podNeedsAContainer() async {
        #expect(Self.rejection(.pod(Self.pod(containers: []))) == #"Pod "p" is invalid: spec.containers: Required value"#)
    }

    @Test func podContainerImageIsRequired() async {
        #expect(Self.rejection(.pod(Self.pod(containers: [Self.container(image: nil)]))) == #"Pod "p" is invalid: spec.containers[0].image: Required value"#)
    }

    @Test func podContainerNamesAreDNSLabelsAndUnique() async {
        #expect(Self.rejection(.pod(Self.pod(containers: [Self.container("web"), Self.container("web")])))
            == #"Pod "p" is invalid: spec.containers[1].name: Duplicate value: "web""#)
        #expect(Self.rejection(.pod(Self.pod(containers: [Self.container("Web_1")])))
            == #"Pod "p" is invalid: spec.containers[0].name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#)
        #expect(Self.rejection(.pod(Self.pod(containers: [Self.container("web.1")])))
            == #"Pod "p" is invalid: spec.containers[0].name: Invalid value: "web.1": must not contain dots"#)
    }

    @Test func podRestartPolicyIsAnEnum() async {
        #expect(Self.rejection(.pod(Self.pod(restartPolicy: "Sometimes")))
            == #"Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#)
    }

    @Test func podResourcesAreNonNegativeAndRequestsWithinLimits() async {
        var c = Self.container()
        c.resources = ResourceRequirements(requests: ["cpu": Self.q("-1")])
        #expect(Self.rejection(.pod(Self.pod(containers: [c])))
            == #"Pod "p" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#)
        c.resources = ResourceRequirements(requests: ["cpu": Self.q("2")], limits: ["cpu": Self.q("1")])
        #expect(Self.rejection(.pod(Self.pod(containers: [c])))
            == #"Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1"#)
        c.resources = ResourceRequirements(requests: ["memory": Self.q("1Gi")], limits: ["memory": Self.q("2Gi")])
        #expect(Self.rejection(.pod(Self.pod(containers: [c]))) == nil)
    }

    @Test func severalPodErrorsAreListedInOrder() async {
        var p = Self.pod("Bad", containers: [Self.container(image: nil)], restartPolicy: "Sometimes")
        p.metadata.labels = ["a": "-"]
        let msg = Self.rejection(.pod(p)) ?? ""
        #expect(msg.hasPrefix(#"Pod "Bad" is invalid: [metadata.name: Invalid value: "Bad": "#))
        let order = ["metadata.name:", "metadata.labels:", "spec.containers[0].image:", "spec.restartPolicy:"].map { msg.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil })
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        #expect(msg.hasSuffix("]"))
    }

    // MARK: Pod update

    @Test func podUpdateAllowsImageBindingAndMetadata() async throws {
        let stored = try Self.admittedPod(Self.pod())
        var next = stored
        next.spec.containers[0].image = "busybox:1.37"
        next.spec.nodeName = "node-1"
        next.metadata.labels = ["x": "y"]
        next.metadata.finalizers = ["example.com/keep"]
        next.metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: "n", uid: "u")]
        next.spec.tolerations = (next.spec.tolerations ?? []) + [Toleration(key: "k", operator: "Exists", effect: "NoSchedule")]
        guard case .pod(let updated) = try Self.admit(.pod(next), old: .pod(stored)) else { Issue.record("kind"); return }
        #expect(updated.spec.nodeName == "node-1")
        #expect(updated.spec.containers[0].image == "busybox:1.37")
    }

    @Test func podUpdateRejectsOtherSpecChanges() async throws {
        let message = #"Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"#
        var bound = Self.pod()
        bound.spec.nodeName = "node-1"
        let stored = try Self.admittedPod(bound)
        var rebind = stored
        rebind.spec.nodeName = "node-2"
        #expect(Self.rejection(.pod(rebind), old: .pod(stored)) == message)
        var command = stored
        command.spec.containers[0].command = ["sleep", "1"]
        #expect(Self.rejection(.pod(command), old: .pod(stored)) == message)
        var removed = stored
        removed.spec.tolerations = [Toleration(operator: "Exists")]
        #expect(Self.rejection(.pod(removed), old: .pod(stored)) == #"Pod "p" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"#)
    }

    // MARK: Job

    @Test func jobDefaultsAndGeneratedSelector() async throws {
        var j = Self.job()
        j.spec.template.metadata = ObjectMeta(labels: ["app": "batch"])
        let a = try Self.admittedJob(j)
        #expect(a.spec.parallelism == 1)
        #expect(a.spec.completions == 1)
        #expect(a.spec.backoffLimit == 6)
        #expect(a.spec.completionMode == "NonIndexed")
        #expect(a.spec.suspend == false)
        #expect(a.metadata.labels == ["app": "batch"])  // copied from the template when the job has none
        #expect(a.spec.template.metadata?.labels == [
            "app": "batch",
            "batch.kubernetes.io/controller-uid": "uid-1", "controller-uid": "uid-1",
            "batch.kubernetes.io/job-name": "j", "job-name": "j",
        ])
        #expect(a.spec.selector?.matchLabels == ["batch.kubernetes.io/controller-uid": "uid-1"])
        #expect(a.spec.template.spec.dnsPolicy == "ClusterFirst")
        #expect(a.spec.template.spec.containers[0].imagePullPolicy == "IfNotPresent")  // tag rule, not kruise's
    }

    @Test func jobParallelismAloneLeavesCompletionsNil() async throws {
        var j = Self.job()
        j.spec.parallelism = 3
        let a = try Self.admittedJob(j)
        #expect(a.spec.parallelism == 3)
        #expect(a.spec.completions == nil)
        var c = Self.job()
        c.spec.completions = 4
        let b = try Self.admittedJob(c)
        #expect(b.spec.parallelism == 1)
        #expect(b.spec.completions == 4)
    }

    @Test func jobManualSelectorIsNotGenerated() async throws {
        var j = Self.job()
        j.spec.manualSelector = true
        j.spec.selector = LabelSelector(matchLabels: ["app": "x"])
        j.spec.template.metadata = ObjectMeta(labels: ["app": "x"])
        let a = try Self.admittedJob(j)
        #expect(a.spec.selector?.matchLabels == ["app": "x"])
        #expect(a.spec.template.metadata?.labels == ["app": "x"])
    }

    @Test func jobRestartPolicyMustBeOnFailureOrNever() async {
        let required = #"Job.batch "j" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#
        #expect(Self.rejection(.job(Self.job(restartPolicy: nil))) == required)
        #expect(Self.rejection(.job(Self.job(restartPolicy: "Always"))) == required)
        #expect(Self.rejection(.job(Self.job(restartPolicy: "Sometimes")))
            == #"Job.batch "j" is invalid: [spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never", spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"]"#)
        #expect(Self.rejection(.job(Self.job(restartPolicy: "OnFailure"))) == nil)
    }

    @Test func jobCountsAreNonNegative() async {
        var j = Self.job()
        j.spec.parallelism = -1
        j.spec.completions = -2
        j.spec.activeDeadlineSeconds = -3
        j.spec.backoffLimit = -4
        j.spec.ttlSecondsAfterFinished = -5
        #expect(Self.rejection(.job(j)) == #"Job.batch "j" is invalid: [spec.parallelism: Invalid value: -1: must be greater than or equal to 0, spec.completions: Invalid value: -2: must be greater than or equal to 0, spec.activeDeadlineSeconds: Invalid value: -3: must be greater than or equal to 0, spec.backoffLimit: Invalid value: -4: must be greater than or equal to 0, spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal to 0]"#)
    }

    @Test func jobNameMustFitTheJobNameLabel() async {
        let name = String(repeating: "j", count: 64)
        #expect(Self.rejection(.job(Self.job(name))) == "Job.batch \"\(name)\" is invalid: spec.template.labels: Invalid value: \"\(name)\": must be no more than 63 characters")
        #expect(Self.rejection(.job(Self.job(String(repeating: "j", count: 63)))) == nil)
    }

    @Test func jobTemplateIsImmutable() async throws {
        let stored = try Self.admittedJob(Self.job())
        var scaled = stored
        scaled.spec.parallelism = 5
        #expect(try Self.admittedJob(scaled, old: stored).spec.parallelism == 5)
        var changed = stored
        changed.spec.template.spec.containers[0].image = "busybox:1.37"
        let msg = Self.rejection(.job(changed), old: .job(stored)) ?? ""
        #expect(msg.hasPrefix(#"Job.batch "j" is invalid: spec.template: Invalid value: "#))
        #expect(msg.hasSuffix(": field is immutable"))
    }

    // MARK: BroadcastJob

    @Test func broadcastJobDefaults() async throws {
        var b = Self.bcj()
        b.status = BroadcastJobStatus()
        let a = try Self.admittedBCJ(b)
        #expect(a.spec.completionPolicy?.type == "Always")
        #expect(a.spec.parallelism == .int(2_147_483_647))
        #expect(a.spec.failurePolicy?.type == "FailFast")
        #expect(a.spec.template.spec.containers[0].imagePullPolicy == "Always")  // kruise: Always whatever the tag
        #expect(a.spec.template.spec.dnsPolicy == "ClusterFirst")
        #expect(a.spec.template.spec.terminationGracePeriodSeconds == 30)
        #expect(a.spec.template.spec.schedulerName == "default-scheduler")
        #expect(a.spec.template.spec.securityContext == .object([:]))
        #expect(a.spec.template.spec.containers[0].terminationMessagePolicy == "File")
        #expect(a.status == nil)  // cleared on create
        #expect(a.spec.template.spec.tolerations == nil)  // the pod plugin is for pods, not templates
    }

    @Test func broadcastJobKeepsWhatTheUserSet() async throws {
        var b = Self.bcj()
        b.spec.parallelism = .string("50%")
        b.spec.completionPolicy = CompletionPolicy(type: "Never")
        b.spec.failurePolicy = FailurePolicy(type: "Continue", restartLimit: 2)
        b.spec.template.spec.containers[0].imagePullPolicy = "IfNotPresent"
        let a = try Self.admittedBCJ(b)
        #expect(a.spec.parallelism == .string("50%"))
        #expect(a.spec.completionPolicy?.type == "Never")
        #expect(a.spec.failurePolicy == FailurePolicy(type: "Continue", restartLimit: 2))
        #expect(a.spec.template.spec.containers[0].imagePullPolicy == "IfNotPresent")
    }

    @Test func broadcastJobParallelismIsNotValidated() async throws {
        var b = Self.bcj()
        b.spec.parallelism = .string("abc")
        #expect(try Self.admittedBCJ(b).spec.parallelism == .string("abc"))
    }

    @Test func broadcastJobRestartPolicy() async {
        let msg = #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure"#
        #expect(Self.rejection(.broadcastJob(Self.bcj(restartPolicy: nil))) == msg)
        #expect(Self.rejection(.broadcastJob(Self.bcj(restartPolicy: "Always"))) == msg)
        #expect(Self.rejection(.broadcastJob(Self.bcj(restartPolicy: "OnFailure"))) == nil)
    }

    @Test func broadcastJobNeverForbidsTTLAndDeadline() async {
        var b = Self.bcj()
        b.spec.completionPolicy = CompletionPolicy(type: "Never", ttlSecondsAfterFinished: 90)
        #expect(Self.rejection(.broadcastJob(b))
            == #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.completionPolicy.ttlSecondsAfterFinished: Invalid value: 90: ttlSecondsAfterFinished can just work with Always CompletionPolicyType"#)
        b.spec.completionPolicy = CompletionPolicy(type: "Never", activeDeadlineSeconds: 60)
        #expect(Self.rejection(.broadcastJob(b))
            == #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.completionPolicy.activeDeadlineSeconds: Invalid value: 60: activeDeadlineSeconds can just work with Always CompletionPolicyType"#)
        // With Always (or unset, defaulted to Always) both are fine, and an unknown type is not checked.
        b.spec.completionPolicy = CompletionPolicy(activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 90)
        #expect(Self.rejection(.broadcastJob(b)) == nil)
        b.spec.completionPolicy = CompletionPolicy(type: "Sometimes", activeDeadlineSeconds: 0)
        #expect(Self.rejection(.broadcastJob(b)) == nil)
    }

    @Test func broadcastJobReservedLabels() async {
        var b = Self.bcj()
        b.spec.template.metadata = ObjectMeta(labels: ["app": "x", "broadcastjob-controller-uid": "u"])
        #expect(Self.rejection(.broadcastJob(b))
            == #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x", "broadcastjob-controller-uid":"u"}: "broadcastjob-name" and "broadcastjob-controller-uid" are not allowed to preset in pod labels"#)
        b.spec.template.metadata = ObjectMeta(labels: ["broadcastjob-name": ""])
        #expect(Self.rejection(.broadcastJob(b)) == nil)  // only non-empty values are refused
    }

    @Test func broadcastJobErrorOrder() async {
        var b = Self.bcj("my.bcj", restartPolicy: nil, image: nil)
        b.spec.completionPolicy = CompletionPolicy(type: "Never", activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 90)
        b.spec.template.metadata = ObjectMeta(labels: ["broadcastjob-name": "x"])
        #expect(Self.rejection(.broadcastJob(b)) == #"""
            admission webhook "vbroadcastjob.kb.io" denied the request: [metadata.name: Invalid value: "my.bcj": BroadcastJob name must consist of alphanumeric characters or '-' (e.g. 'example-com', regex used for validation is '^[a-zA-Z0-9\-]+$'), spec.completionPolicy.ttlSecondsAfterFinished: Invalid value: 90: ttlSecondsAfterFinished can just work with Always CompletionPolicyType, spec.completionPolicy.activeDeadlineSeconds: Invalid value: 60: activeDeadlineSeconds can just work with Always CompletionPolicyType, spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure, spec.template.metadata.labels: Invalid value: map[string]string{"broadcastjob-name":"x"}: "broadcastjob-name" and "broadcastjob-controller-uid" are not allowed to preset in pod labels, spec.template.spec.containers[0].image: Required value]
            """#)
    }

    @Test func broadcastJobNames() async {
        // Not a DNS subdomain: the API server refuses it before the webhook runs.
        #expect(Self.rejection(.broadcastJob(Self.bcj("Cleaner")))
            == #"BroadcastJob.apps.kruise.io "Cleaner" is invalid: metadata.name: Invalid value: "Cleaner": "# + Self.dns1123SubdomainMsg)
        let long = String(repeating: "b", count: 64)
        #expect(Self.rejection(.broadcastJob(Self.bcj(long)))
            == "admission webhook \"vbroadcastjob.kb.io\" denied the request: metadata.name: Invalid value: \"\(long)\": must be no more than 63 characters")
        #expect(Self.rejection(.broadcastJob(Self.bcj(String(repeating: "b", count: 63)))) == nil)
    }

    @Test func broadcastJobUpdate() async throws {
        var b = Self.bcj()
        b.status = nil
        let stored = try Self.admittedBCJ(b)
        // Any spec field may change; the status given is returned untouched (the server keeps the stored one).
        var next = stored
        next.spec.paused = true
        next.spec.parallelism = .int(3)
        next.status = BroadcastJobStatus()
        let updated = try Self.admittedBCJ(next, old: stored)
        #expect(updated.spec.paused == true)
        #expect(updated.status == BroadcastJobStatus())
        // A changed template is defaulted again.
        var retemplated = stored
        retemplated.spec.template = PodTemplateSpec(spec: PodSpec(containers: [Self.container("other", image: "alpine:3")], restartPolicy: "OnFailure"))
        let r = try Self.admittedBCJ(retemplated, old: stored)
        #expect(r.spec.template.spec.containers[0].imagePullPolicy == "Always")
        #expect(r.spec.template.spec.dnsPolicy == "ClusterFirst")
        // Validation runs on updates as well.
        var bad = stored
        bad.spec.template.spec.restartPolicy = "Always"
        #expect(Self.rejection(.broadcastJob(bad), old: .broadcastJob(stored))
            == #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure"#)
    }

    @Test func broadcastJobManifestsGetTheUpstreamMessages() async throws {
        let restartMsg = #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure"#
        let (missing, _) = try Self.decodeYAML(Self.bcjYAML(restartPolicyLine: ""))
        #expect(Self.rejection(missing) == restartMsg)
        let (always, _) = try Self.decodeYAML(Self.bcjYAML(restartPolicyLine: "restartPolicy: Always"))
        #expect(Self.rejection(always) == restartMsg)
        let (never, _) = try Self.decodeYAML(Self.bcjYAML(restartPolicyLine: "restartPolicy: Never", completionPolicy: """
              completionPolicy:
                type: Never
                ttlSecondsAfterFinished: 30
            """))
        #expect(Self.rejection(never)
            == #"admission webhook "vbroadcastjob.kb.io" denied the request: spec.completionPolicy.ttlSecondsAfterFinished: Invalid value: 30: ttlSecondsAfterFinished can just work with Always CompletionPolicyType"#)
        let (ok, _) = try Self.decodeYAML(Self.bcjYAML(restartPolicyLine: "restartPolicy: OnFailure"))
        #expect(Self.rejection(ok) == nil)
    }

    // MARK: AdvancedCronJob

    @Test func seedArticleAdvancedCronJobIsAdmittedAndRoundTrips() async throws {
        let (object, raw) = try Self.decodeYAML(Self.seedACJ)
        var obj = object
        var m = obj.metadata
        m.uid = "uid-acj"
        m.creationTimestamp = Self.created
        obj.metadata = m
        let admitted = try Self.admit(obj)
        guard case .advancedCronJob(let a) = admitted else { Issue.record("kind"); return }
        // Every field the user wrote survives, with the value written.
        let out = try admitted.manifest()
        #expect(Self.missingPaths(raw, in: out) == [])
        #expect(out["spec"]?["template"]?["broadcastJobTemplate"]?["spec"]?["template"]?["spec"]?["volumes"]?.arrayValue?.first?["hostPath"]?["path"] == .string("/var/run/containerd"))
        // Defaults.
        #expect(a.metadata.namespace == "default")
        #expect(a.spec.concurrencyPolicy == "Allow")
        #expect(a.spec.paused == false)
        #expect(a.spec.successfulJobsHistoryLimit == 3)
        #expect(a.spec.failedJobsHistoryLimit == 1)
        let pod = try #require(a.spec.template.broadcastJobTemplate?.spec.template.spec)
        #expect(pod.dnsPolicy == "ClusterFirst")
        #expect(pod.restartPolicy == "OnFailure")
        #expect(pod.containers[0].imagePullPolicy == "IfNotPresent")
        #expect(pod.containers[0].terminationMessagePath == "/dev/termination-log")
        #expect(pod.volumes?.first?.hostPath?.type == "")
        // The BroadcastJob's own defaults wait for each child's admission.
        #expect(a.spec.template.broadcastJobTemplate?.spec.parallelism == nil)
        #expect(a.spec.template.broadcastJobTemplate?.spec.failurePolicy == FailurePolicy(type: "Continue", restartLimit: 3))
        // Admitting the admitted object again changes nothing.
        #expect(try Self.admit(admitted, old: admitted) == admitted)
    }

    @Test func advancedCronJobTemplateGetsKruisePodDefaultsOnly() async throws {
        // A broadcastJobTemplate without restartPolicy is admitted (defaulted to Always); only each child is refused.
        let a = try Self.admittedACJ(Self.acj(restartPolicy: nil))
        let pod = try #require(a.spec.template.broadcastJobTemplate?.spec.template.spec)
        #expect(pod.restartPolicy == "Always")
        #expect(pod.containers[0].imagePullPolicy == "Always")
        // BroadcastJob-only rules are not checked on the template either.
        var never = Self.acj()
        never.spec.template.broadcastJobTemplate?.spec.completionPolicy = CompletionPolicy(type: "Never", ttlSecondsAfterFinished: 5)
        #expect(Self.rejection(.advancedCronJob(never)) == nil)
        // A jobTemplate gets the same kruise defaults.
        var jobACJ = Self.acj()
        jobACJ.spec.template = CronJobTemplate(jobTemplate: JobTemplateSpec(metadata: nil, spec: JobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [Self.container()], restartPolicy: "Never")))))
        let j = try Self.admittedACJ(jobACJ)
        #expect(j.spec.template.jobTemplate?.spec.template.spec.containers[0].imagePullPolicy == "Always")
        #expect(j.spec.template.jobTemplate?.spec.backoffLimit == nil)
    }

    @Test func advancedCronJobEmptySchedule() async {
        #expect(Self.rejection(.advancedCronJob(Self.acj(schedule: "")))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: [spec.schedule: Invalid value: "": schedule cannot be empty, please provide valid cron schedule., spec.schedule: Invalid value: "": empty spec string]"#)
    }

    @Test func advancedCronJobBadSchedules() async {
        #expect(Self.rejection(.advancedCronJob(Self.acj(schedule: "*/5 * * *")))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]"#)
        #expect(Self.rejection(.advancedCronJob(Self.acj(schedule: "61 * * * *")))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#)
        #expect(Self.rejection(.advancedCronJob(Self.acj(schedule: "TZ=Asia/Shanghai 0 3 * * *"))) == nil)
        #expect(Self.rejection(.advancedCronJob(Self.acj(schedule: "@daily"))) == nil)
    }

    @Test func advancedCronJobBadScheduleManifest() async throws {
        let yaml = Self.seedACJ.replacingOccurrences(of: #"schedule: "*/5 * * * *""#, with: #"schedule: "*/5 * * * * *""#)
        let (obj, _) = try Self.decodeYAML(yaml)
        #expect(Self.rejection(obj)
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.schedule: Invalid value: "*/5 * * * * *": expected exactly 5 fields, found 6: [*/5 * * * * *]"#)
    }

    @Test func advancedCronJobTimeZones() async {
        func with(_ tz: String?, schedule: String = "0 3 * * *") -> APIObject {
            var a = Self.acj(schedule: schedule)
            a.spec.timeZone = tz
            return .advancedCronJob(a)
        }
        let prefix = #"admission webhook "vadvancedcronjob.kb.io" denied the request: "#
        #expect(Self.rejection(with("Asia/Shanghai")) == nil)
        #expect(Self.rejection(with("Asia/Shanghai", schedule: "CRON_TZ=UTC 0 3 * * *"))
            == prefix + #"spec.schedule: Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule"#)
        #expect(Self.rejection(with("")) == prefix + #"spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string"#)
        #expect(Self.rejection(with("Local"))
            == prefix + #"spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"#)
        #expect(Self.rejection(with("local"))
            == prefix + #"[spec.timeZone: Invalid value: "local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones, spec.timeZone: Invalid value: "local": unknown time zone local]"#)
        #expect(Self.rejection(with("Mars/Olympus_Mons")) == prefix + #"spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons"#)
    }

    @Test func advancedCronJobNonNegativeFields() async {
        var a = Self.acj()
        a.spec.startingDeadlineSeconds = -1
        a.spec.successfulJobsHistoryLimit = -2
        a.spec.failedJobsHistoryLimit = -3
        #expect(Self.rejection(.advancedCronJob(a))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: [spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0, spec.successfulJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0, spec.failedJobsHistoryLimit: Invalid value: -3: must be greater than or equal to 0]"#)
        a.spec.startingDeadlineSeconds = 0
        a.spec.successfulJobsHistoryLimit = 0
        a.spec.failedJobsHistoryLimit = 0
        #expect(Self.rejection(.advancedCronJob(a)) == nil)
    }

    @Test func advancedCronJobNeedsExactlyOneTemplate() async {
        var none = Self.acj()
        none.spec.template = CronJobTemplate()
        #expect(Self.rejection(.advancedCronJob(none))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.template: Forbidden: spec must have one template, either JobTemplate or BroadcastJobTemplate or ImageListPullJobTemplate should be provided"#)
        var two = Self.acj()
        two.spec.template.jobTemplate = JobTemplateSpec(metadata: nil, spec: JobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [Self.container()], restartPolicy: "Never"))))
        #expect(Self.rejection(.advancedCronJob(two))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.template: Forbidden: spec can have only one template, either JobTemplate or BroadcastJobTemplate or ImageListPullJobTemplate should be provided"#)
    }

    @Test func advancedCronJobTemplatePodIsValidated() async {
        var a = Self.acj()
        a.spec.template.broadcastJobTemplate?.spec.template.spec.containers = [Self.container(image: nil)]
        #expect(Self.rejection(.advancedCronJob(a)) == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.template.spec.containers[0].image: Required value"#)
    }

    @Test func advancedCronJobImageListPullJobTemplateIsRefused() async {
        var a = Self.acj()
        a.spec.template = CronJobTemplate()
        a.spec.template.imageListPullJobTemplate = .object(["spec": .object(["images": .array([.string("nginx:1.25")])])])
        #expect(Self.rejection(.advancedCronJob(a))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.template.imageListPullJobTemplate: Forbidden: imageListPullJobTemplate is not supported by this engine"#)
    }

    @Test func advancedCronJobConcurrencyPolicyEnum() async {
        var a = Self.acj()
        a.spec.concurrencyPolicy = "Sometimes"
        #expect(Self.rejection(.advancedCronJob(a))
            == #"AdvancedCronJob.apps.kruise.io "acj" is invalid: spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace""#)
        for policy in ["Allow", "Forbid", "Replace"] {
            a.spec.concurrencyPolicy = policy
            #expect(Self.rejection(.advancedCronJob(a)) == nil)
        }
    }

    @Test func advancedCronJobNames() async {
        let name52 = String(repeating: "a", count: 52)
        let name53 = String(repeating: "a", count: 53)
        #expect(Self.rejection(.advancedCronJob(Self.acj(name52))) == nil)
        #expect(Self.rejection(.advancedCronJob(Self.acj(name53)))
            == "admission webhook \"vadvancedcronjob.kb.io\" denied the request: metadata.name: Invalid value: \"\(name53)\": AdvancedCronJob name must be no more than 52 characters")
        #expect(Self.rejection(.advancedCronJob(Self.acj("nightly.clean")))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: metadata.name: Invalid value: "nightly.clean": AdvancedCronJob name must consist of alphanumeric characters or '-' (e.g. 'example-com', regex used for validation is '^[a-zA-Z0-9\-]+$')"#)
    }

    @Test func advancedCronJobUpdateRule() async throws {
        let stored = try Self.admittedACJ(Self.acj())
        var allowed = stored
        allowed.spec.schedule = "0 * * * *"
        allowed.spec.concurrencyPolicy = "Forbid"
        allowed.spec.paused = true
        allowed.spec.startingDeadlineSeconds = 30
        allowed.spec.successfulJobsHistoryLimit = 0
        allowed.spec.failedJobsHistoryLimit = 0
        allowed.spec.timeZone = "Europe/Paris"
        let u = try Self.admittedACJ(allowed, old: stored)
        #expect(u.spec.schedule == "0 * * * *")
        #expect(u.spec.timeZone == "Europe/Paris")
        // The user's original (undefaulted) manifest with a new schedule: the template is defaulted again and
        // compares equal.
        var resent = Self.acj()
        resent.spec.schedule = "0 * * * *"
        #expect(Self.rejection(.advancedCronJob(resent), old: .advancedCronJob(stored)) == nil)
        let message = #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec: Forbidden: updates to advancedcronjob spec for fields other than 'imageListPullJobTemplate', 'schedule', 'concurrencyPolicy', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'startingDeadlineSeconds', 'timeZone' and 'paused' are forbidden"#
        var image = stored
        image.spec.template.broadcastJobTemplate?.spec.template.spec.containers[0].image = "busybox:1.37"
        #expect(Self.rejection(.advancedCronJob(image), old: .advancedCronJob(stored)) == message)
        var policy = stored
        policy.spec.template.broadcastJobTemplate?.spec.completionPolicy = CompletionPolicy(type: "Never")
        #expect(Self.rejection(.advancedCronJob(policy), old: .advancedCronJob(stored)) == message)
        // Validation of the new spec still runs on update.
        var bad = stored
        bad.spec.schedule = "nope"
        #expect(Self.rejection(.advancedCronJob(bad), old: .advancedCronJob(stored))
            == #"admission webhook "vadvancedcronjob.kb.io" denied the request: spec.schedule: Invalid value: "nope": expected exactly 5 fields, found 1: [nope]"#)
    }

    @Test func advancedCronJobStatusClearedOnCreateOnly() async throws {
        var a = Self.acj()
        var status = AdvancedCronJobStatus()
        status.type = "BroadcastJob"
        a.status = status
        let created = try Self.admittedACJ(a)
        #expect(created.status == nil)
        var next = created
        next.status = status
        #expect(try Self.admittedACJ(next, old: created).status == status)
    }

    // MARK: Node and Event

    @Test func nodeValidation() async throws {
        var n = Node(metadata: ObjectMeta(name: "Node_1"))
        #expect(Self.rejection(.node(n)) == #"Node "Node_1" is invalid: metadata.name: Invalid value: "Node_1": "# + Self.dns1123SubdomainMsg)
        n.metadata.name = "node-1"
        n.spec = NodeSpec(taints: [Taint(key: "dedicated", value: "gpu", effect: "NoRun")])
        #expect(Self.rejection(.node(n))
            == #"Node "node-1" is invalid: metadata.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#)
        n.spec = NodeSpec(taints: [Taint(key: "dedicated", effect: "NoSchedule"), Taint(key: "x", effect: "NoExecute")])
        n.metadata.namespace = "default"
        n.status = NodeStatus(capacity: ["cpu": Self.q("4"), "pods": Self.q("110")])
        guard case .node(let admitted) = try Self.admit(.node(n)) else { Issue.record("kind"); return }
        #expect(admitted.metadata.namespace == nil)
        #expect(admitted.status?.allocatable == ["cpu": Self.q("4"), "pods": Self.q("110")])
    }

    @Test func eventsAreAccepted() async throws {
        let e = Event(metadata: ObjectMeta(name: "bcj.1"), involvedObject: ObjectReference(kind: "BroadcastJob", name: "bcj"),
                      reason: "SuccessfulCreate", message: "Created pod: bcj-abcde", type: "Normal", component: "broadcastjob-controller", time: Self.created)
        guard case .event(let admitted) = try Self.admit(.event(e)) else { Issue.record("kind"); return }
        #expect(admitted.metadata.namespace == "default")
        #expect(admitted.reason == "SuccessfulCreate")
    }

    // MARK: Primitives

    @Test func goQuoting() async {
        #expect(goQuote("a\"b\\c\n") == #""a\"b\\c\n""#)
        #expect(goMapLiteral(["b": "2", "a": "1"]) == #"map[string]string{"a":"1", "b":"2"}"#)
        #expect(KubeValidation.maskTrailingDash("web-") == "wea")
        #expect(KubeValidation.isDNS1123Subdomain("a.b-c").isEmpty)
        #expect(!KubeValidation.isDNS1123Subdomain("a..b").isEmpty)
    }
}
