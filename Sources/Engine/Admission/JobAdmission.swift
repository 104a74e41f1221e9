import Foundation

// batch/v1 Job: `SetDefaults_Job` (`k8s.io/kubernetes/pkg/apis/batch/v1/defaults.go`), the registry strategy's
// `generateSelector` (`pkg/registry/batch/job/strategy.go`) and `ValidateJob` / `ValidateJobUpdate`
// (`pkg/apis/batch/validation/validation.go`).

enum JobAdmission {
    static let legacyControllerUIDLabel = "controller-uid"
    static let controllerUIDLabel = "batch.kubernetes.io/controller-uid"
    static let legacyJobNameLabel = "job-name"
    static let jobNameLabel = "batch.kubernetes.io/job-name"

    /// `SetDefaults_Job` plus the template's pod defaults (Kubernetes tag rule for imagePullPolicy).
    static func setDefaults(_ job: inout Job) {
        if job.spec.completions == nil && job.spec.parallelism == nil {
            job.spec.completions = 1
            job.spec.parallelism = 1
        }
        if job.spec.parallelism == nil { job.spec.parallelism = 1 }
        if job.spec.backoffLimit == nil { job.spec.backoffLimit = 6 }
        if let labels = job.spec.template.metadata?.labels, (job.metadata.labels ?? [:]).isEmpty {
            job.metadata.labels = labels
        }
        if job.spec.completionMode == nil { job.spec.completionMode = "NonIndexed" }
        if job.spec.suspend == nil { job.spec.suspend = false }
        PodDefaults.setDefaultsPodSpec(&job.spec.template.spec, pull: .byTag)
    }

    /// `generateSelector` (create only, unless manualSelector): the job-name and controller-uid labels on the pod
    /// template (kept if the user set them; validation then catches a wrong value), and the selector
    /// `batch.kubernetes.io/controller-uid=<uid>`.
    static func generateSelector(_ job: inout Job) {
        var meta = job.spec.template.metadata ?? ObjectMeta()
        var labels = meta.labels ?? [:]
        for key in [legacyJobNameLabel, jobNameLabel] where labels[key] == nil { labels[key] = job.name }
        for key in [legacyControllerUIDLabel, controllerUIDLabel] where labels[key] == nil { labels[key] = job.uid }
        meta.labels = labels
        job.spec.template.metadata = meta
        var selector = job.spec.selector ?? LabelSelector()
        var match = selector.matchLabels ?? [:]
        if match[controllerUIDLabel] == nil { match[controllerUIDLabel] = job.uid }
        selector.matchLabels = match
        job.spec.selector = selector
    }

    // MARK: Validation

    /// `ValidateJob`: metadata (DNS-1123 subdomain name), the generated selector, then the spec.
    static func validateJob(_ job: Job) -> [FieldError] {
        var errs = ObjectMetaValidation.validate(job.metadata, namespaced: true, nameFunc: KubeValidation.nameIsDNSSubdomain)
        errs += validateGeneratedSelector(job)
        errs += validateJobSpec(job.spec, path: "spec")
        if job.spec.completionMode == "Indexed", let completions = job.spec.completions, completions > 0 {
            let hostname = "\(job.name)-\(completions - 1)"
            if !KubeValidation.isDNS1123Label(hostname).isEmpty {
                errs.append(FieldError(.invalid, field: "metadata.name", value: goQuote(job.name),
                                       "will not able to create pod with invalid DNS label: \(hostname)"))
            }
        }
        return errs
    }

    /// `validateGeneratedSelector`.
    static func validateGeneratedSelector(_ job: Job) -> [FieldError] {
        if job.spec.manualSelector == true { return [] }
        guard let selector = job.spec.selector else { return [] }
        var errs: [FieldError] = []
        if job.uid.isEmpty { errs.append(FieldError(.required, field: "metadata.uid", "")) }
        let labels = job.spec.template.metadata?.labels
        func hasLabel(_ key: String, _ expected: String) {
            let p = "spec.template.metadata.labels[\(key)]"
            guard let actual = labels?[key] else {
                errs.append(FieldError(.required, field: p, "must be '\(expected)'"))
                return
            }
            if actual != expected {
                errs.append(FieldError(.invalid, field: p, value: goMapLiteral(labels), "must be '\(expected)'"))
            }
        }
        hasLabel(legacyControllerUIDLabel, job.uid)
        hasLabel(legacyJobNameLabel, job.name)
        hasLabel(controllerUIDLabel, job.uid)
        hasLabel(jobNameLabel, job.name)
        let expected = [
            controllerUIDLabel: job.uid, jobNameLabel: job.name,
            legacyControllerUIDLabel: job.uid, legacyJobNameLabel: job.name,
        ]
        if let matches = selectorMatches(selector, expected), !matches {
            errs.append(FieldError(.invalid, field: "spec.selector", value: compactJSON(selector), "`selector` not auto-generated"))
        }
        return errs
    }

    /// `ValidateJobSpec` (`validateJobSpec` plus the selector checks).
    static func validateJobSpec(_ spec: JobSpec, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        errs += KubeValidation.validateNonnegative(spec.parallelism.map(Int64.init), path: path + ".parallelism")
        errs += KubeValidation.validateNonnegative(spec.completions.map(Int64.init), path: path + ".completions")
        errs += KubeValidation.validateNonnegative(spec.activeDeadlineSeconds, path: path + ".activeDeadlineSeconds")
        errs += KubeValidation.validateNonnegative(spec.backoffLimit.map(Int64.init), path: path + ".backoffLimit")
        errs += KubeValidation.validateNonnegative(spec.ttlSecondsAfterFinished.map(Int64.init), path: path + ".ttlSecondsAfterFinished")
        if let mode = spec.completionMode {
            if mode != "NonIndexed" && mode != "Indexed" {
                errs.append(KubeValidation.notSupported(path + ".completionMode", mode, ["NonIndexed", "Indexed"]))
            }
            if mode == "Indexed" {
                if spec.completions == nil {
                    errs.append(FieldError(.required, field: path + ".completions", "when completion mode is Indexed"))
                }
                if let p = spec.parallelism, p > 100_000 {
                    errs.append(FieldError(.invalid, field: path + ".parallelism", value: String(p), "must be less than or equal to 100000 when completion mode is Indexed"))
                }
            }
        }
        errs += PodValidation.validatePodTemplateSpec(spec.template, path: path + ".template")
        let rp = spec.template.spec.restartPolicy ?? ""
        let rpPath = path + ".template.spec.restartPolicy"
        if rp == "Always" || rp.isEmpty {
            errs.append(FieldError(.required, field: rpPath, "valid values: \"OnFailure\", \"Never\""))
        } else if rp != "OnFailure" && rp != "Never" {
            errs.append(KubeValidation.notSupported(rpPath, rp, ["OnFailure", "Never"]))
        }
        if let selector = spec.selector {
            errs += KubeValidation.validateLabels(selector.matchLabels, path: path + ".selector.matchLabels")
            if let matches = selectorMatches(selector, spec.template.metadata?.labels ?? [:]), !matches {
                errs.append(FieldError(.invalid, field: path + ".template.metadata.labels", value: goMapLiteral(spec.template.metadata?.labels),
                                       "`selector` does not match template `labels`"))
            }
        } else {
            errs.append(FieldError(.required, field: path + ".selector", ""))
        }
        return errs
    }

    /// `ValidateJobUpdate`: metadata immutability, the spec, then completions, selector, template and
    /// completionMode immutability.
    static func validateJobUpdate(_ new: Job, old: Job) -> [FieldError] {
        var errs = ObjectMetaValidation.validateUpdate(new.metadata, old: old.metadata)
        errs += validateJobSpec(new.spec, path: "spec")
        let s = new.spec
        let o = old.spec
        if s.completions != o.completions {
            if s.completionMode == "Indexed" {
                if let c = s.completions, c != (s.parallelism ?? -1) {
                    errs.append(FieldError(.invalid, field: "spec.completions", value: String(c), "can only be modified in tandem with spec.parallelism"))
                }
            } else {
                errs.append(FieldError(.invalid, field: "spec.completions", value: s.completions.map(String.init) ?? "null", KubeValidation.fieldImmutableErrorMsg))
            }
        }
        if s.selector != o.selector {
            errs.append(FieldError(.invalid, field: "spec.selector", value: compactJSON(s.selector), KubeValidation.fieldImmutableErrorMsg))
        }
        if !templateUpdateAllowed(new, old: old) {
            errs.append(FieldError(.invalid, field: "spec.template", value: compactJSON(s.template), KubeValidation.fieldImmutableErrorMsg))
        }
        if s.completionMode != o.completionMode {
            errs.append(FieldError(.invalid, field: "spec.completionMode", value: s.completionMode.map(goQuote) ?? "null", KubeValidation.fieldImmutableErrorMsg))
        }
        return errs
    }

    /// The template is immutable, except that a suspended job that never started may change its scheduling
    /// directives (nodeSelector, tolerations, affinity) and template labels and annotations.
    static func templateUpdateAllowed(_ new: Job, old: Job) -> Bool {
        if SemanticEquality.specsEqual(new, old, typedEqual: new.spec.template == old.spec.template, subtree: "template") { return true }
        guard old.spec.suspend == true, old.status?.startTime == nil else { return false }
        var relaxed = old
        relaxed.unknownFields = new.unknownFields
        relaxed.spec.template.spec.nodeSelector = new.spec.template.spec.nodeSelector
        relaxed.spec.template.spec.tolerations = new.spec.template.spec.tolerations
        relaxed.spec.template.spec.affinity = new.spec.template.spec.affinity
        var meta = relaxed.spec.template.metadata ?? ObjectMeta()
        meta.labels = new.spec.template.metadata?.labels
        meta.annotations = new.spec.template.metadata?.annotations
        relaxed.spec.template.metadata = meta
        return SemanticEquality.specsEqual(new, relaxed, typedEqual: new.spec.template == relaxed.spec.template, subtree: "template")
    }

    /// Whether a label selector matches a label set; nil when the selector cannot be parsed (upstream then skips
    /// the check). `matchExpressions` with In, NotIn, Exists and DoesNotExist are evaluated.
    static func selectorMatches(_ selector: LabelSelector, _ labels: [String: String]) -> Bool? {
        for (k, v) in selector.matchLabels ?? [:] where labels[k] != v { return false }
        for expr in selector.matchExpressions ?? [] {
            guard let key = expr["key"]?.stringValue, let op = expr["operator"]?.stringValue else { return nil }
            let values = (expr["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch op {
            case "In": if let v = labels[key], values.contains(v) { continue } else { return false }
            case "NotIn": if let v = labels[key], values.contains(v) { return false }
            case "Exists": if labels[key] == nil { return false }
            case "DoesNotExist": if labels[key] != nil { return false }
            default: return nil
            }
        }
        return true
    }

    // MARK: Admission

    static func admit(_ job: Job, old: Job?) -> (Job, [FieldError]) {
        var j = job
        setDefaults(&j)
        if let old {
            // PrepareForUpdate keeps the stored status; a create starts with none.
            return (j, validateJob(j) + validateJobUpdate(j, old: old))
        }
        j.status = nil
        if j.spec.manualSelector != true { generateSelector(&j) }
        return (j, validateJob(j))
    }
}
