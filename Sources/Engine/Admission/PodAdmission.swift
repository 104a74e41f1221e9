import Foundation

// Pod defaulting (`k8s.io/kubernetes/pkg/apis/core/v1/defaults.go`, kruise `apis/apps/defaults/pod.go`), the
// DefaultTolerationSeconds admission plugin, and pod / pod-template validation
// (`k8s.io/kubernetes/pkg/apis/core/validation/validation.go`), reduced to the fields the engine models.

/// How container `imagePullPolicy` is defaulted.
enum ImagePullDefaulting {
    /// Kubernetes `SetDefaults_Container`: `Always` for a `latest` (or missing) tag, else `IfNotPresent`.
    case byTag
    /// Kruise `SetDefaultPodSpec`: `Always` for every regular container ("for in-place update"); init containers
    /// still follow the tag rule.
    case kruiseAlways
}

enum PodDefaults {
    static let defaultTerminationMessagePath = "/dev/termination-log"
    static let defaultSchedulerName = "default-scheduler"
    static let defaultTerminationGracePeriodSeconds: Int64 = 30
    static let notReadyTaintKey = "node.kubernetes.io/not-ready"
    static let unreachableTaintKey = "node.kubernetes.io/unreachable"

    /// `SetDefaults_PodSpec` plus the per-container and per-volume defaults of the generated
    /// `SetObjectDefaults_*` (kruise `SetDefaultPodSpec` with `.kruiseAlways`).
    static func setDefaultsPodSpec(_ spec: inout PodSpec, pull: ImagePullDefaulting) {
        if (spec.dnsPolicy ?? "").isEmpty { spec.dnsPolicy = "ClusterFirst" }
        if (spec.restartPolicy ?? "").isEmpty { spec.restartPolicy = "Always" }
        if spec.securityContext == nil || spec.securityContext == .null { spec.securityContext = .object([:]) }
        if spec.terminationGracePeriodSeconds == nil { spec.terminationGracePeriodSeconds = defaultTerminationGracePeriodSeconds }
        if (spec.schedulerName ?? "").isEmpty { spec.schedulerName = defaultSchedulerName }
        if var volumes = spec.volumes {
            for i in volumes.indices where volumes[i].hostPath != nil && volumes[i].hostPath?.type == nil {
                volumes[i].hostPath?.type = ""  // SetDefaults_HostPathVolumeSource: HostPathUnset
            }
            spec.volumes = volumes
        }
        if var inits = spec.initContainers {
            for i in inits.indices { setDefaultsContainer(&inits[i]) }
            spec.initContainers = inits
        }
        for i in spec.containers.indices {
            if pull == .kruiseAlways, (spec.containers[i].imagePullPolicy ?? "").isEmpty {
                spec.containers[i].imagePullPolicy = "Always"
            }
            setDefaultsContainer(&spec.containers[i])
        }
    }

    /// `SetDefaults_Container`.
    static func setDefaultsContainer(_ c: inout Container) {
        if (c.imagePullPolicy ?? "").isEmpty { c.imagePullPolicy = defaultPullPolicy(image: c.image ?? "") }
        if (c.terminationMessagePath ?? "").isEmpty { c.terminationMessagePath = defaultTerminationMessagePath }
        if (c.terminationMessagePolicy ?? "").isEmpty { c.terminationMessagePolicy = "File" }
    }

    /// `Always` when the image's tag is `latest`, or when it has neither tag nor digest; `IfNotPresent` otherwise
    /// (including images `parsers.ParseImageName` rejects, whose tag reads as empty).
    static func defaultPullPolicy(image: String) -> String {
        guard let ref = parseImageReference(image) else { return "IfNotPresent" }
        if ref.tag == nil && !ref.hasDigest { return "Always" }
        return ref.tag == "latest" ? "Always" : "IfNotPresent"
    }

    /// A light `ParseNormalizedNamed`: the tag (after the last `:` that follows the last `/`), whether a digest is
    /// present, or nil when the reference is malformed (empty, whitespace, an upper-case repository path).
    static func parseImageReference(_ image: String) -> (tag: String?, hasDigest: Bool)? {
        if image.isEmpty || image.unicodeScalars.contains(where: { $0.properties.isWhitespace }) { return nil }
        var name = Substring(image)
        var hasDigest = false
        if let at = name.firstIndex(of: "@") {
            hasDigest = true
            if name[name.index(after: at)...].isEmpty { return nil }
            name = name[..<at]
        }
        if name.isEmpty { return nil }
        var tag: String?
        let lastSlash = name.lastIndex(of: "/")
        if let colon = name.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = name[name.index(after: colon)...]
            if t.isEmpty || t.count > 128 { return nil }
            tag = String(t)
            name = name[..<colon]
        }
        // splitDockerDomain: the first component is a registry if it has '.' or ':', is localhost, or has upper case.
        var remainder = name
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                remainder = name[name.index(after: slash)...]
            }
        }
        if remainder.isEmpty || remainder.lowercased() != remainder { return nil }
        return (tag, hasDigest)
    }

    /// `SetDefaults_Pod`: a container with limits but no request for a resource gets the limit as its request.
    static func setDefaultsPod(_ pod: inout Pod) {
        func requestsFromLimits(_ c: inout Container) {
            guard let limits = c.resources?.limits else { return }
            var requests = c.resources?.requests ?? [:]
            for (k, v) in limits where requests[k] == nil { requests[k] = v }
            c.resources?.requests = requests
        }
        for i in pod.spec.containers.indices { requestsFromLimits(&pod.spec.containers[i]) }
        if var inits = pod.spec.initContainers {
            for i in inits.indices { requestsFromLimits(&inits[i]) }
            pod.spec.initContainers = inits
        }
        setDefaultsPodSpec(&pod.spec, pull: .byTag)
    }

    /// The DefaultTolerationSeconds admission plugin: NoExecute tolerations (operator Exists) for the not-ready
    /// and unreachable taints, unless the pod already tolerates them (an empty key or effect matches).
    static func applyDefaultTolerationSeconds(_ spec: inout PodSpec, seconds: Int64) {
        var notReady = false
        var unreachable = false
        for t in spec.tolerations ?? [] {
            let key = t.key ?? ""
            let effect = t.effect ?? ""
            let effectMatches = effect == Taint.noExecute || effect.isEmpty
            if (key == notReadyTaintKey || key.isEmpty) && effectMatches { notReady = true }
            if (key == unreachableTaintKey || key.isEmpty) && effectMatches { unreachable = true }
        }
        if notReady && unreachable { return }
        var tolerations = spec.tolerations ?? []
        if !notReady {
            tolerations.append(Toleration(key: notReadyTaintKey, operator: "Exists", effect: Taint.noExecute, tolerationSeconds: seconds))
        }
        if !unreachable {
            tolerations.append(Toleration(key: unreachableTaintKey, operator: "Exists", effect: Taint.noExecute, tolerationSeconds: seconds))
        }
        spec.tolerations = tolerations
    }
}

enum PodValidation {
    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]
    static let terminationMessagePolicies = ["File", "FallbackToLogsOnError"]
    static let taintEffects = [Taint.noSchedule, Taint.preferNoSchedule, Taint.noExecute]
    static let updatableFieldsMessage =
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    // MARK: Pod

    /// `ValidatePodCreate`: metadata (DNS-1123 subdomain name), then the spec.
    static func validatePod(_ pod: Pod) -> [FieldError] {
        var errs = ObjectMetaValidation.validate(pod.metadata, namespaced: true, nameFunc: KubeValidation.nameIsDNSSubdomain)
        errs += validatePodSpec(pod.spec, path: "spec")
        return errs
    }

    /// `ValidatePodUpdate`: the spec is immutable except container images, activeDeadlineSeconds (lowered, or
    /// set), added tolerations and terminationGracePeriodSeconds from negative to 1. The simulator's binding also
    /// sets `spec.nodeName` once, from empty.
    static func validatePodUpdate(_ new: Pod, old: Pod) -> [FieldError] {
        var errs = ObjectMetaValidation.validateUpdate(new.metadata, old: old.metadata)
        errs += validatePodSpec(new.spec, path: "spec")
        var munged = new
        // Containers: same count, images may change.
        if new.spec.containers.count != old.spec.containers.count {
            errs.append(FieldError(.forbidden, field: "spec.containers", "pod updates may not add or remove containers"))
        } else {
            for i in new.spec.containers.indices {
                if (new.spec.containers[i].image ?? "").isEmpty {
                    errs.append(FieldError(.required, field: "spec.containers[\(i)].image", ""))
                }
                munged.spec.containers[i].image = old.spec.containers[i].image
            }
        }
        let newInits = new.spec.initContainers ?? []
        let oldInits = old.spec.initContainers ?? []
        if newInits.count != oldInits.count {
            errs.append(FieldError(.forbidden, field: "spec.initContainers", "pod updates may not add or remove containers"))
        } else if !newInits.isEmpty {
            for i in newInits.indices {
                if (newInits[i].image ?? "").isEmpty {
                    errs.append(FieldError(.required, field: "spec.initContainers[\(i)].image", ""))
                }
                munged.spec.initContainers?[i].image = oldInits[i].image
            }
        }
        // activeDeadlineSeconds: nil -> positive, or lowered; never back to nil.
        if let n = new.spec.activeDeadlineSeconds {
            if n < 0 || n > Int64(Int32.max) {
                errs.append(FieldError(.invalid, field: "spec.activeDeadlineSeconds", value: String(n), "must be between 0 and 2147483647, inclusive"))
                return errs
            }
            if let o = old.spec.activeDeadlineSeconds, o < n {
                errs.append(FieldError(.invalid, field: "spec.activeDeadlineSeconds", value: String(n), "must be less than or equal to previous value"))
                return errs
            }
        } else if old.spec.activeDeadlineSeconds != nil {
            errs.append(FieldError(.invalid, field: "spec.activeDeadlineSeconds", value: "null", "must not update from a positive integer to nil value"))
        }
        munged.spec.activeDeadlineSeconds = old.spec.activeDeadlineSeconds
        // terminationGracePeriodSeconds may go from negative to 1.
        if let o = old.spec.terminationGracePeriodSeconds, o < 0, new.spec.terminationGracePeriodSeconds == 1 {
            munged.spec.terminationGracePeriodSeconds = o
        }
        // The simulator binds pods by setting nodeName once.
        if (old.spec.nodeName ?? "").isEmpty {
            munged.spec.nodeName = old.spec.nodeName
        }
        // Tolerations: only additions (an existing one may change its tolerationSeconds).
        errs += validateOnlyAddedTolerations(new.spec.tolerations ?? [], old: old.spec.tolerations ?? [], path: "spec.tolerations")
        munged.spec.tolerations = old.spec.tolerations
        if !SemanticEquality.specsEqual(munged, old, typedEqual: munged.spec == old.spec) {
            errs.append(FieldError(.forbidden, field: "spec", updatableFieldsMessage))
        }
        return errs
    }

    static func validateOnlyAddedTolerations(_ new: [Toleration], old: [Toleration], path: String) -> [FieldError] {
        for o in old {
            let found = new.contains { n in
                var clone = o
                clone.tolerationSeconds = n.tolerationSeconds
                return clone == n
            }
            if !found {
                return [FieldError(.forbidden, field: path, "existing toleration can not be modified except its tolerationSeconds")]
            }
        }
        return validateTolerations(new, path: path)
    }

    // MARK: Templates and specs

    /// `ValidatePodTemplateSpec`: template labels (at `<path>.labels`, as upstream), annotations, then the spec.
    static func validatePodTemplateSpec(_ t: PodTemplateSpec, path: String) -> [FieldError] {
        var errs = KubeValidation.validateLabels(t.metadata?.labels, path: path + ".labels")
        errs += KubeValidation.validateAnnotations(t.metadata?.annotations, path: path + ".annotations")
        errs += validatePodSpec(t.spec, path: path + ".spec")
        return errs
    }

    /// `ValidatePodSpec`, in the upstream order, for the modelled fields.
    static func validatePodSpec(_ spec: PodSpec, path: @autoclosure () -> String) -> [FieldError] {
        var errs: [FieldError] = []
        if spec.terminationGracePeriodSeconds == nil {
            errs.append(FieldError(.required, field: path() + ".terminationGracePeriodSeconds", ""))
        }
        errs += validateVolumes(spec.volumes ?? [], path: path() + ".volumes")
        errs += validateContainers(spec.containers, path: path() + ".containers")
        errs += validateInitContainers(spec.initContainers ?? [], regular: spec.containers, path: path() + ".initContainers")
        errs += validateRestartPolicy(spec.restartPolicy ?? "", path: path() + ".restartPolicy")
        errs += validateEnum(spec.dnsPolicy ?? "", dnsPolicies, path: path() + ".dnsPolicy")
        errs += KubeValidation.validateLabels(spec.nodeSelector, path: path() + ".nodeSelector")
        if let sa = spec.serviceAccountName, !sa.isEmpty {
            for msg in KubeValidation.nameIsDNSSubdomain(sa, prefix: false) {
                errs.append(FieldError(.invalid, field: path() + ".serviceAccountName", value: goQuote(sa), msg))
            }
        }
        if let node = spec.nodeName, !node.isEmpty {
            for msg in KubeValidation.nameIsDNSSubdomain(node, prefix: false) {
                errs.append(FieldError(.invalid, field: path() + ".nodeName", value: goQuote(node), msg))
            }
        }
        if let ads = spec.activeDeadlineSeconds, ads < 1 || ads > Int64(Int32.max) {
            errs.append(FieldError(.invalid, field: path() + ".activeDeadlineSeconds", value: String(ads), "must be between 1 and 2147483647, inclusive"))
        }
        if let tolerations = spec.tolerations, !tolerations.isEmpty {
            errs += validateTolerations(tolerations, path: path() + ".tolerations")
        }
        return errs
    }

    /// `validateRestartPolicy`.
    static func validateRestartPolicy(_ policy: String, path: @autoclosure () -> String) -> [FieldError] {
        validateEnum(policy, restartPolicies, path: path())
    }

    /// Required when empty, Unsupported value when not one of `supported`.
    static func validateEnum(_ value: String, _ supported: [String], path: @autoclosure () -> String) -> [FieldError] {
        if value.isEmpty { return [FieldError(.required, field: path(), "")] }
        if supported.contains(value) { return [] }
        return [KubeValidation.notSupported(path(), value, supported)]
    }

    static func validateVolumes(_ volumes: [Volume], path: @autoclosure () -> String) -> [FieldError] {
        var errs: [FieldError] = []
        var names = Set<String>()
        for (i, v) in volumes.enumerated() {
            var namePath: String { "\(path())[\(i)].name" }  // spelled out only for an error
            if let hp = v.hostPath, hp.path.isEmpty {
                errs.append(FieldError(.required, field: "\(path())[\(i)].hostPath.path", ""))
            }
            if v.name.isEmpty {
                errs.append(FieldError(.required, field: namePath, ""))
            } else {
                errs += KubeValidation.isDNS1123Label(v.name).map { FieldError(.invalid, field: namePath, value: goQuote(v.name), $0) }
            }
            if names.contains(v.name) {
                errs.append(FieldError(.duplicate, field: namePath, value: goQuote(v.name), ""))
            } else {
                names.insert(v.name)
            }
        }
        return errs
    }

    /// `validateContainers`: at least one; each passes the common checks; names unique; no container restartPolicy.
    static func validateContainers(_ containers: [Container], path: @autoclosure () -> String) -> [FieldError] {
        if containers.isEmpty { return [FieldError(.required, field: path(), "")] }
        var errs: [FieldError] = []
        var names = Set<String>()
        for (i, c) in containers.enumerated() {
            var p: String { "\(path())[\(i)]" }  // spelled out only for an error
            errs += validateContainerCommon(c, path: p)
            if names.contains(c.name) {
                errs.append(FieldError(.duplicate, field: p + ".name", value: goQuote(c.name), ""))
            } else {
                names.insert(c.name)
            }
            if c.restartPolicy != nil {
                errs.append(FieldError(.forbidden, field: p + ".restartPolicy", "may not be set for non-init containers"))
            }
        }
        return errs
    }

    /// `validateInitContainers`: names unique across regular and init containers; restartPolicy only `Always`.
    static func validateInitContainers(_ containers: [Container], regular: [Container], path: @autoclosure () -> String) -> [FieldError] {
        guard !containers.isEmpty else { return [] }  // most pods: no set of the regular names built
        var errs: [FieldError] = []
        var names = Set(regular.map(\.name))
        for (i, c) in containers.enumerated() {
            var p: String { "\(path())[\(i)]" }  // spelled out only for an error
            errs += validateContainerCommon(c, path: p)
            if let rp = c.restartPolicy, rp != "Always" {
                errs.append(KubeValidation.notSupported(p + ".restartPolicy", rp, ["Always"]))
            }
            if names.contains(c.name) {
                errs.append(FieldError(.duplicate, field: p + ".name", value: goQuote(c.name), ""))
            } else if !c.name.isEmpty {
                names.insert(c.name)
            }
        }
        return errs
    }

    /// `validateContainerCommon`: name, image, terminationMessagePolicy, env names, imagePullPolicy, resources.
    static func validateContainerCommon(_ c: Container, path: @autoclosure () -> String) -> [FieldError] {
        var errs: [FieldError] = []
        if c.name.isEmpty {
            errs.append(FieldError(.required, field: path() + ".name", ""))
        } else {
            errs += KubeValidation.isDNS1123Label(c.name).map { FieldError(.invalid, field: path() + ".name", value: goQuote(c.name), $0) }
        }
        if (c.image ?? "").isEmpty {
            errs.append(FieldError(.required, field: path() + ".image", ""))
        }
        switch c.terminationMessagePolicy ?? "" {
        case "File", "FallbackToLogsOnError": break
        case "": errs.append(FieldError(.required, field: path() + ".terminationMessagePolicy", "must be 'File' or 'FallbackToLogsOnError'"))
        case let other: errs.append(KubeValidation.notSupported(path() + ".terminationMessagePolicy", other, terminationMessagePolicies))
        }
        for (i, e) in (c.env ?? []).enumerated() where e.name.isEmpty {
            errs.append(FieldError(.required, field: "\(path()).env[\(i)].name", ""))
        }
        errs += validateEnum(c.imagePullPolicy ?? "", pullPolicies, path: path() + ".imagePullPolicy")
        errs += validateResources(c.resources, path: path() + ".resources")
        return errs
    }

    /// `IsNativeResource`: no domain, or the `kubernetes.io/` domain.
    static func isNativeResource(_ name: String) -> Bool { !name.contains("/") || name.contains("kubernetes.io/") }
    /// `IsOvercommitAllowed`: native resources other than huge pages.
    static func isOvercommitAllowed(_ name: String) -> Bool { isNativeResource(name) && !name.hasPrefix("hugepages-") }
    /// `IsIntegerResourceName`: `pods` and extended resources.
    static func isIntegerResource(_ name: String) -> Bool {
        name == "pods" || (!isNativeResource(name) && !name.hasPrefix("requests."))
    }

    /// `ValidateResourceRequirements`: quantities non-negative (integers for extended resources), each request at
    /// most its limit (equal to it for resources that cannot be overcommitted).
    static func validateResources(_ r: ResourceRequirements?, path: @autoclosure () -> String) -> [FieldError] {
        guard let r else { return [] }
        var errs: [FieldError] = []
        var limPath: String { path() + ".limits" }  // spelled out only for an error
        var reqPath: String { path() + ".requests" }
        let limits = r.limits ?? [:]
        func quantityErrors(_ name: String, _ q: Quantity, _ p: @autoclosure () -> String) {
            if q.nanos < 0 {
                errs.append(FieldError(.invalid, field: p(), value: goQuote(q.description), KubeValidation.isNegativeErrorMsg))
            }
            if isIntegerResource(name), q.nanos % 1_000_000_000 != 0 {
                errs.append(FieldError(.invalid, field: p(), value: q.description, KubeValidation.isNotIntegerErrorMsg))
            }
        }
        for name in limits.keys.sorted() {
            quantityErrors(name, limits[name]!, "\(limPath)[\(name)]")
        }
        let requests = r.requests ?? [:]
        for name in requests.keys.sorted() {
            let q = requests[name]!
            quantityErrors(name, q, "\(reqPath)[\(name)]")
            if let lim = limits[name] {
                if q != lim && !isOvercommitAllowed(name) {
                    errs.append(FieldError(.invalid, field: reqPath, value: goQuote(q.description), "must be equal to \(name) limit of \(lim.description)"))
                } else if q > lim {
                    errs.append(FieldError(.invalid, field: reqPath, value: goQuote(q.description), "must be less than or equal to \(name) limit of \(lim.description)"))
                }
            } else if !isOvercommitAllowed(name) {
                errs.append(FieldError(.required, field: limPath, "Limit must be set for non overcommitable resources"))
            }
        }
        return errs
    }

    /// `ValidateTolerations`.
    static func validateTolerations(_ tolerations: [Toleration], path: @autoclosure () -> String) -> [FieldError] {
        var errs: [FieldError] = []
        for (i, t) in tolerations.enumerated() {
            var p: String { "\(path())[\(i)]" }  // spelled out only for an error
            let key = t.key ?? ""
            let op = t.operator ?? ""
            let effect = t.effect ?? ""
            let value = t.value ?? ""
            if !key.isEmpty { errs += KubeValidation.validateLabelName(key, path: p + ".key") }
            if key.isEmpty && op != "Exists" {
                errs.append(FieldError(.invalid, field: p + ".operator", value: goQuote(op),
                                       "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
            }
            if t.tolerationSeconds != nil && effect != Taint.noExecute {
                errs.append(FieldError(.invalid, field: p + ".effect", value: goQuote(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"))
            }
            switch op {
            case "Equal", "":
                let msgs = KubeValidation.isValidLabelValue(value)
                if !msgs.isEmpty {
                    errs.append(FieldError(.invalid, field: p + ".operator", value: goQuote(value), msgs.joined(separator: ";")))
                }
            case "Exists":
                if !value.isEmpty {
                    errs.append(FieldError(.invalid, field: p + ".operator", value: goLiteral(t), "value must be empty when `operator` is 'Exists'"))
                }
            default:
                errs.append(KubeValidation.notSupported(p + ".operator", op, ["Equal", "Exists"]))
            }
            if !effect.isEmpty, !taintEffects.contains(effect) {
                errs.append(KubeValidation.notSupported(p + ".effect", effect, taintEffects))
            }
        }
        return errs
    }

    /// Go `%#v` of a `core.Toleration`.
    static func goLiteral(_ t: Toleration) -> String {
        let secs = t.tolerationSeconds.map { "(*int64)(\($0))" } ?? "(*int64)(nil)"
        return "core.Toleration{Key:\(goQuote(t.key ?? "")), Operator:\(goQuote(t.operator ?? "")), Value:\(goQuote(t.value ?? "")), Effect:\(goQuote(t.effect ?? "")), TolerationSeconds:\(secs)}"
    }

    // MARK: Admission

    static func admit(_ pod: Pod, old: Pod?, options: AdmissionOptions) -> (Pod, [FieldError]) {
        var p = pod
        PodDefaults.setDefaultsPod(&p)
        PodDefaults.applyDefaultTolerationSeconds(&p.spec, seconds: options.defaultTolerationSeconds)
        var errs = validatePod(p)
        if let old { errs += validatePodUpdate(p, old: old) }
        return (p, errs)
    }
}
