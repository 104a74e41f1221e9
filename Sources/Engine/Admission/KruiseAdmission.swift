import Foundation

// OpenKruise BroadcastJob and AdvancedCronJob admission: the mutating webhooks (`SetDefaultsBroadcastJob`,
// `SetDefaultsAdvancedCronJob`), then the API server's custom-resource validation (DNS-1123 subdomain name, CRD
// enums), then the validating webhooks (`pkg/webhook/{broadcastjob,advancedcronjob}/validating`).
// See shared/reference/broadcastjob.md §1 and advancedcronjob.md §1.1, and their Decisions D-A3 and D-A10.

/// `^[a-zA-Z0-9\-]+$`, the kruise name rule (no dots, unlike a DNS subdomain).
private func matchesKruiseName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy { KubeValidation.isAlnum($0) || $0 == UInt8(ascii: "-") }
}

/// The API server's validation of any custom resource before the validating webhooks run: object metadata with a
/// DNS-1123 subdomain name on create, metadata immutability on update.
private func customResourceMetaErrors(_ meta: ObjectMeta, old: ObjectMeta?) -> [FieldError] {
    if let old { return ObjectMetaValidation.validateUpdate(meta, old: old) }
    return ObjectMetaValidation.validate(meta, namespaced: true, nameFunc: KubeValidation.nameIsDNSSubdomain)
}

enum BroadcastJobAdmission {
    static let nameFmt = "^[a-zA-Z0-9\\-]+$"
    static let nameMsg = "BroadcastJob name must consist of alphanumeric characters or '-'"
    static let jobNameLabel = "broadcastjob-name"
    static let controllerUIDLabel = "broadcastjob-controller-uid"

    /// `validateBroadcastJobName`.
    static func validateName(_ name: String, prefix: Bool) -> [String] {
        var errs: [String] = []
        if !matchesKruiseName(name) { errs.append(KubeValidation.regexError(nameMsg, nameFmt, "example-com")) }
        if name.utf8.count > 63 { errs.append(KubeValidation.maxLenError(63)) }
        return errs
    }

    /// `SetDefaultsBroadcastJob`.
    static func setDefaults(_ job: inout BroadcastJob, injectTemplateDefaults: Bool) {
        if injectTemplateDefaults {
            PodDefaults.setDefaultsPodSpec(&job.spec.template.spec, pull: .kruiseAlways)
        }
        var completion = job.spec.completionPolicy ?? CompletionPolicy()
        if (completion.type ?? "").isEmpty { completion.type = "Always" }
        job.spec.completionPolicy = completion
        if job.spec.parallelism == nil { job.spec.parallelism = .int(Int32.max) }
        var failure = job.spec.failurePolicy ?? FailurePolicy()
        if (failure.type ?? "").isEmpty { failure.type = "FailFast" }
        job.spec.failurePolicy = failure
    }

    /// `validateBroadcastJobSpec`, in the upstream order: ttlSecondsAfterFinished and activeDeadlineSeconds with
    /// completionPolicy Never, restartPolicy (of the template as `SetDefaultPodSpec` leaves it, so an empty one
    /// reads as Always), the reserved labels, then the core pod-template validation. Parallelism is not checked.
    static func validateSpec(_ spec: BroadcastJobSpec, path: String = "spec") -> [FieldError] {
        var errs: [FieldError] = []
        if spec.completionPolicy?.type == "Never" {
            if let ttl = spec.completionPolicy?.ttlSecondsAfterFinished {
                errs.append(FieldError(.invalid, field: path + ".completionPolicy.ttlSecondsAfterFinished", value: String(ttl),
                                       "ttlSecondsAfterFinished can just work with Always CompletionPolicyType"))
            }
            if let ads = spec.completionPolicy?.activeDeadlineSeconds {
                errs.append(FieldError(.invalid, field: path + ".completionPolicy.activeDeadlineSeconds", value: String(ads),
                                       "activeDeadlineSeconds can just work with Always CompletionPolicyType"))
            }
        }
        var template = spec.template
        PodDefaults.setDefaultsPodSpec(&template.spec, pull: .kruiseAlways)  // convertor.ConvertPodTemplateSpec
        let rp = template.spec.restartPolicy ?? ""
        if rp != "OnFailure" && rp != "Never" {
            errs.append(FieldError(.invalid, field: path + ".template.spec.restartPolicy", value: goQuote(rp),
                                   "pod restartPolicy can only be Never or OnFailure"))
        }
        if let labels = template.metadata?.labels,
           !(labels[jobNameLabel] ?? "").isEmpty || !(labels[controllerUIDLabel] ?? "").isEmpty {
            errs.append(FieldError(.invalid, field: path + ".template.metadata.labels", value: goMapLiteral(labels),
                                   "\"\(jobNameLabel)\" and \"\(controllerUIDLabel)\" are not allowed to preset in pod labels"))
        }
        errs += PodValidation.validatePodTemplateSpec(template, path: path + ".template")
        return errs
    }

    /// The validating webhook's name and the code of its rejection: the handler answers
    /// `admission.Errored(http.StatusInternalServerError, allErrs.ToAggregate())`.
    static let webhook = WebhookDenial(name: "vbroadcastjob.kb.io", code: 500)

    /// Returns the admitted job, its errors, and who reports them: the API server's own checks (metadata) or,
    /// when those pass, the validating webhook.
    static func admit(_ job: BroadcastJob, old: BroadcastJob?) -> (BroadcastJob, [FieldError], WebhookDenial?) {
        var j = job
        setDefaults(&j, injectTemplateDefaults: old.map { $0.spec.template != j.spec.template } ?? true)
        if old == nil { j.status = nil }
        // `paused` is `bool` with `omitempty` in the Go type: the webhook's patch drops `paused: false`.
        if j.spec.paused == false { j.spec.paused = nil }
        let serverErrs = customResourceMetaErrors(j.metadata, old: old?.metadata)
        if !serverErrs.isEmpty { return (j, serverErrs, nil) }
        var errs = ObjectMetaValidation.validate(j.metadata, namespaced: true, nameFunc: validateName)
        errs += validateSpec(j.spec)
        return (j, errs, webhook)
    }
}

enum AdvancedCronJobAdmission {
    static let nameFmt = "^[a-zA-Z0-9\\-]+$"
    static let nameMsg = "AdvancedCronJob name must consist of alphanumeric characters or '-'"
    /// D-A3: children are named `<name>-<10 digits>`, so longer names could never create a child.
    static let maxNameLength = 52
    static let nameTooLongMsg = "AdvancedCronJob name must be no more than 52 characters"
    static let concurrencyPolicies = ["Allow", "Forbid", "Replace"]
    static let emptyScheduleMsg = "schedule cannot be empty, please provide valid cron schedule."
    static let bothTimeZonesMsg = "cannot use both timeZone field and TZ or CRON_TZ in schedule"
    static let emptyTimeZoneMsg = "timeZone must be nil or non-empty string"
    static let localTimeZoneMsg = "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
    static let noTemplateMsg =
        "spec must have one template, either JobTemplate or BroadcastJobTemplate or ImageListPullJobTemplate should be provided"
    static let manyTemplatesMsg =
        "spec can have only one template, either JobTemplate or BroadcastJobTemplate or ImageListPullJobTemplate should be provided"
    /// D-A10.
    static let imageListPullJobMsg = "imageListPullJobTemplate is not supported by this engine"
    static let updateMsg =
        "updates to advancedcronjob spec for fields other than 'imageListPullJobTemplate', 'schedule', 'concurrencyPolicy', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'startingDeadlineSeconds', 'timeZone' and 'paused' are forbidden"
    static let mutableSpecFields = [
        "schedule", "concurrencyPolicy", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
        "startingDeadlineSeconds", "paused", "timeZone",
    ]

    /// `validateAdvancedCronJobName`, with the 52-character limit of D-A3 in place of upstream's 63.
    static func validateName(_ name: String, prefix: Bool) -> [String] {
        var errs: [String] = []
        if !matchesKruiseName(name) { errs.append(KubeValidation.regexError(nameMsg, nameFmt, "example-com")) }
        if name.utf8.count > maxNameLength { errs.append(nameTooLongMsg) }
        return errs
    }

    static func hasImageListPullJobTemplate(_ spec: AdvancedCronJobSpec) -> Bool {
        if let t = spec.template.imageListPullJobTemplate, !t.isNull { return true }
        return false
    }

    /// `SetDefaultsAdvancedCronJob`: kruise pod defaults in the job or BroadcastJob template (the BroadcastJob's
    /// own defaults wait for each child's admission), concurrencyPolicy, paused and the history limits.
    static func setDefaults(_ acj: inout AdvancedCronJob, injectTemplateDefaults: Bool) {
        if injectTemplateDefaults {
            if acj.spec.template.jobTemplate != nil {
                PodDefaults.setDefaultsPodSpec(&acj.spec.template.jobTemplate!.spec.template.spec, pull: .kruiseAlways)
            }
            if acj.spec.template.broadcastJobTemplate != nil {
                PodDefaults.setDefaultsPodSpec(&acj.spec.template.broadcastJobTemplate!.spec.template.spec, pull: .kruiseAlways)
            }
        }
        if (acj.spec.concurrencyPolicy ?? "").isEmpty {
            acj.spec.concurrencyPolicy = hasImageListPullJobTemplate(acj.spec) ? "Replace" : "Allow"
        }
        if acj.spec.paused == nil { acj.spec.paused = false }
        if acj.spec.successfulJobsHistoryLimit == nil { acj.spec.successfulJobsHistoryLimit = 3 }
        if acj.spec.failedJobsHistoryLimit == nil { acj.spec.failedJobsHistoryLimit = 1 }
    }

    /// `validateAdvancedCronJobSpec`: schedule, template, startingDeadlineSeconds, history limits, timeZone.
    static func validateSpec(_ spec: AdvancedCronJobSpec, path: String = "spec") -> [FieldError] {
        var errs = validateSchedule(spec, path: path)
        errs += validateTemplate(spec, path: path)
        errs += KubeValidation.validateNonnegative(spec.startingDeadlineSeconds, path: path + ".startingDeadlineSeconds")
        errs += KubeValidation.validateNonnegative(spec.successfulJobsHistoryLimit.map(Int64.init), path: path + ".successfulJobsHistoryLimit")
        errs += KubeValidation.validateNonnegative(spec.failedJobsHistoryLimit.map(Int64.init), path: path + ".failedJobsHistoryLimit")
        errs += validateTimeZone(spec.timeZone, path: path + ".timeZone")
        return errs
    }

    /// `validateAdvancedCronJobSpecSchedule`. An empty schedule gets both the webhook's message and the parser's
    /// ("empty spec string").
    static func validateSchedule(_ spec: AdvancedCronJobSpec, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        let p = path + ".schedule"
        let value = goQuote(spec.schedule)
        if spec.schedule.isEmpty {
            errs.append(FieldError(.invalid, field: p, value: value, emptyScheduleMsg))
        }
        do {
            _ = try CronSchedule.parse(spec.schedule, defaultZone: GoLocation.utc)
        } catch {
            errs.append(FieldError(.invalid, field: p, value: value, error.message))
        }
        if spec.schedule.contains("TZ") && spec.timeZone != nil {
            errs.append(FieldError(.invalid, field: p, value: value, bothTimeZonesMsg))
        }
        return errs
    }

    /// `validateTimeZone`: nil is fine; "" and Local (any case) are rejected; the zone must load
    /// (`time.LoadLocation`'s error text otherwise).
    static func validateTimeZone(_ timeZone: String?, path: String) -> [FieldError] {
        guard let tz = timeZone else { return [] }
        if tz.isEmpty { return [FieldError(.invalid, field: path, value: goQuote(tz), emptyTimeZoneMsg)] }
        var errs: [FieldError] = []
        if tz.lowercased() == "local" {
            errs.append(FieldError(.invalid, field: path, value: goQuote(tz), localTimeZoneMsg))
        }
        if case .failure(let e) = GoLocation.load(tz, local: GoLocation.utc) {
            errs.append(FieldError(.invalid, field: path, value: goQuote(tz), e.message))
        }
        return errs
    }

    /// `validateAdvancedCronJobSpecTemplate`: each template's pod template passes core `ValidatePodTemplateSpec`
    /// (at `spec.template`, as upstream reports it); exactly one template. The BroadcastJob-specific rules are
    /// left to each child's admission.
    static func validateTemplate(_ spec: AdvancedCronJobSpec, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var count = 0
        if let jt = spec.template.jobTemplate {
            count += 1
            errs += PodValidation.validatePodTemplateSpec(jt.spec.template, path: path + ".template")
        }
        if let bt = spec.template.broadcastJobTemplate {
            count += 1
            errs += PodValidation.validatePodTemplateSpec(bt.spec.template, path: path + ".template")
        }
        if hasImageListPullJobTemplate(spec) {
            count += 1
            errs.append(FieldError(.forbidden, field: path + ".template.imageListPullJobTemplate", imageListPullJobMsg))
        }
        if count == 0 {
            errs.append(FieldError(.forbidden, field: path + ".template", noTemplateMsg))
        } else if count > 1 {
            errs.append(FieldError(.forbidden, field: path + ".template", manyTemplatesMsg))
        }
        return errs
    }

    /// `validateAdvancedCronJobUpdate`'s rule: with the mutable fields taken from the old object, the spec must
    /// be unchanged (the templates are immutable).
    static func validateUpdateRule(_ new: AdvancedCronJob, old: AdvancedCronJob) -> [FieldError] {
        func rest(_ acj: AdvancedCronJob) -> JSONValue? {
            guard case .object(var o)? = SemanticEquality.spec(of: acj, removing: mutableSpecFields) else { return nil }
            if hasImageListPullJobTemplate(old.spec), case .object(var t)? = o["template"] {
                t.removeValue(forKey: "imageListPullJobTemplate")
                o["template"] = .object(t)
            }
            return .object(o)
        }
        var adjusted = new.spec
        adjusted.schedule = old.spec.schedule
        adjusted.concurrencyPolicy = old.spec.concurrencyPolicy
        adjusted.successfulJobsHistoryLimit = old.spec.successfulJobsHistoryLimit
        adjusted.failedJobsHistoryLimit = old.spec.failedJobsHistoryLimit
        adjusted.startingDeadlineSeconds = old.spec.startingDeadlineSeconds
        adjusted.paused = old.spec.paused
        adjusted.timeZone = old.spec.timeZone
        if hasImageListPullJobTemplate(old.spec) { adjusted.template.imageListPullJobTemplate = old.spec.template.imageListPullJobTemplate }
        if adjusted == old.spec && new.unknownFields?["spec"] == old.unknownFields?["spec"] { return [] }
        if SemanticEquality.equal(rest(new), rest(old)) { return [] }
        return [FieldError(.forbidden, field: "spec", updateMsg)]
    }

    /// The validating webhook's name and the code of its rejection: `admission.Errored(http.StatusUnprocessableEntity,
    /// allErrs.ToAggregate())` on create and on update.
    static let webhook = WebhookDenial(name: "vadvancedcronjob.kb.io", code: 422)

    /// Returns the admitted object, its errors, and who reports them: the API server's own checks (metadata, the
    /// CRD's `concurrencyPolicy` enum) or, when those pass, the validating webhook.
    static func admit(_ acj: AdvancedCronJob, old: AdvancedCronJob?) -> (AdvancedCronJob, [FieldError], WebhookDenial?) {
        var a = acj
        setDefaults(&a, injectTemplateDefaults: old.map { $0.spec.template != a.spec.template } ?? true)
        if old == nil { a.status = nil }
        var serverErrs = customResourceMetaErrors(a.metadata, old: old?.metadata)
        if let cp = a.spec.concurrencyPolicy, !concurrencyPolicies.contains(cp) {
            serverErrs.append(KubeValidation.notSupported("spec.concurrencyPolicy", cp, concurrencyPolicies))
        }
        if !serverErrs.isEmpty { return (a, serverErrs, nil) }
        var errs: [FieldError]
        if let old {
            errs = ObjectMetaValidation.validateUpdate(a.metadata, old: old.metadata)
            errs += validateSpec(a.spec)
            errs += validateUpdateRule(a, old: old)
        } else {
            errs = ObjectMetaValidation.validate(a.metadata, namespaced: true, nameFunc: validateName)
            errs += validateSpec(a.spec)
        }
        return (a, errs, webhook)
    }
}
