import Foundation

/// Node admission: `SetDefaults_NodeStatus` (allocatable defaults to capacity) and `ValidateNode` for the
/// modelled fields (DNS-1123 subdomain name; taints at `metadata.taints`, the path upstream reports).
enum NodeAdmission {
    static func setDefaults(_ node: inout Node) {
        if var status = node.status, status.allocatable == nil, let capacity = status.capacity {
            status.allocatable = capacity
            node.status = status
        }
    }

    /// `validateNodeTaints`: key, value, effect, and uniqueness by (key, effect).
    static func validateTaints(_ taints: [Taint], path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var seen: [String: Set<String>] = [:]
        for (i, t) in taints.enumerated() {
            let p = "\(path)[\(i)]"
            errs += KubeValidation.validateLabelName(t.key, path: p + ".key")
            let value = t.value ?? ""
            let msgs = KubeValidation.isValidLabelValue(value)
            if !msgs.isEmpty {
                errs.append(FieldError(.invalid, field: p + ".value", value: goQuote(value), msgs.joined(separator: ";")))
            }
            errs += PodValidation.validateEnum(t.effect, PodValidation.taintEffects, path: p + ".effect")
            if seen[t.effect]?.contains(t.key) == true {
                errs.append(FieldError(.duplicate, field: p, value: goLiteral(t), "taints must be unique by key and effect pair"))
                continue
            }
            seen[t.effect, default: []].insert(t.key)
        }
        return errs
    }

    /// Go `%#v` of a `core.Taint`.
    static func goLiteral(_ t: Taint) -> String {
        let added = t.timeAdded.map { "\"\($0.rfc3339)\"" } ?? "(*v1.Time)(nil)"
        return "core.Taint{Key:\(goQuote(t.key)), Value:\(goQuote(t.value ?? "")), Effect:\(goQuote(t.effect)), TimeAdded:\(added)}"
    }

    static func admit(_ node: Node, old: Node?) -> (Node, [FieldError]) {
        var n = node
        setDefaults(&n)
        var errs = ObjectMetaValidation.validate(n.metadata, namespaced: false, nameFunc: KubeValidation.nameIsDNSSubdomain)
        if !n.taints.isEmpty { errs += validateTaints(n.taints, path: "metadata.taints") }
        if let old { errs += ObjectMetaValidation.validateUpdate(n.metadata, old: old.metadata) }
        return (n, errs)
    }
}
