import Foundation
import Engine

/// A selector the request gave that cannot be used: the API server answers 400 BadRequest with
/// ``message`` (see ``KubeStatus/badRequest(_:)``).
public struct KubeSelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A label selector as the `labelSelector` query parameter (and `kubectl -l`) writes it
/// (`labels.Parse`): comma-separated requirements `key`, `!key`, `key=value`, `key==value`,
/// `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>1`, `key<1`. Keys are qualified names
/// (`prefix/name`), values label values, both checked as upstream does. An empty selector
/// matches everything.
///
/// Matching follows `labels.Requirement.Matches`: `!=` and `notin` also match objects that lack
/// the label. Cost: linear in the number of requirements per object.
public struct LabelSelectorQuery: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable { case exists, doesNotExist = "!", equals = "=", notEquals = "!=", isIn = "in", notIn = "notin", gt = ">", lt = "<" }
    public struct Requirement: Sendable, Equatable {
        public var key: String
        public var op: Operator
        /// Sorted, as upstream keeps them.
        public var values: [String]
    }
    public var requirements: [Requirement]

    /// Parses `text`; throws with upstream-like messages (`unable to parse requirement: …`).
    public static func parse(_ text: String) throws(KubeSelectorError) -> LabelSelectorQuery {
        var reqs: [Requirement] = []
        for part in try splitTopLevel(text) {
            reqs.append(try requirement(part))
        }
        // labels.Parse sorts requirements by key.
        return LabelSelectorQuery(requirements: reqs.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element))
    }

    /// Whether a label set satisfies every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let v = labels[r.key]
            switch r.op {
            case .exists: return v != nil
            case .doesNotExist: return v == nil
            case .equals, .isIn: return v.map { r.values.contains($0) } ?? false
            case .notEquals, .notIn: return v.map { !r.values.contains($0) } ?? true
            case .gt, .lt:
                guard let v, let have = Int64(v), let want = Int64(r.values.first ?? "") else { return false }
                return r.op == .gt ? have > want : have < want
            }
        }
    }

    /// The canonical form (`labels.Selector.String`).
    public var description: String {
        requirements.map { r in
            switch r.op {
            case .exists: return r.key
            case .doesNotExist: return "!" + r.key
            case .equals, .notEquals, .gt, .lt: return r.key + r.op.rawValue + (r.values.first ?? "")
            case .isIn, .notIn: return "\(r.key) \(r.op.rawValue) (\(r.values.joined(separator: ",")))"
            }
        }.joined(separator: ",")
    }

    /// Splits at commas outside parentheses; an empty text is no requirement.
    private static func splitTopLevel(_ text: String) throws(KubeSelectorError) -> [String] {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        var parts: [String] = []
        var cur = ""
        var depth = 0
        for ch in text {
            switch ch {
            case "(": depth += 1; cur.append(ch)
            case ")":
                depth -= 1
                if depth < 0 { throw KubeSelectorError(message: "unable to parse requirement: found ')', expected: ',' or end of selector in \"\(text)\"") }
                cur.append(ch)
            case "," where depth == 0: parts.append(cur); cur = ""
            default: cur.append(ch)
            }
        }
        if depth != 0 { throw KubeSelectorError(message: "unable to parse requirement: found '', expected: ')' in \"\(text)\"") }
        parts.append(cur)
        return parts
    }

    private static func requirement(_ raw: String) throws(KubeSelectorError) -> Requirement {
        let s = raw.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { throw KubeSelectorError(message: "unable to parse requirement: found ',', expected: identifier") }
        if s.hasPrefix("!") {
            let key = s.dropFirst().trimmingCharacters(in: .whitespaces)
            if key.isEmpty { throw KubeSelectorError(message: "unable to parse requirement: found '', expected: identifier after '!'") }
            try checkKey(key)
            return Requirement(key: key, op: .doesNotExist, values: [])
        }
        // Set-based: `key in (a,b)` / `key notin (a,b)`.
        for (word, op) in [(" notin ", Operator.notIn), (" in ", Operator.isIn)] {
            if let r = s.range(of: word) {
                let key = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = s[r.upperBound...].trimmingCharacters(in: .whitespaces)
                guard rest.hasPrefix("("), rest.hasSuffix(")") else {
                    throw KubeSelectorError(message: "unable to parse requirement: found '\(rest)', expected: '(' after '\(op.rawValue)' in \"\(s)\"")
                }
                try checkKey(key)
                let values = rest.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                for v in values { try checkValue(v, key: key) }
                return Requirement(key: key, op: op, values: Array(Set(values)).sorted())
            }
        }
        for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals), (">", .gt), ("<", .lt)] {
            if let r = s.range(of: token) {
                let key = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = s[r.upperBound...].trimmingCharacters(in: .whitespaces)
                if key.isEmpty { throw KubeSelectorError(message: "unable to parse requirement: found '\(token)', expected: identifier in \"\(s)\"") }
                try checkKey(key)
                if op == .gt || op == .lt {
                    guard Int64(value) != nil else {
                        throw KubeSelectorError(message: "unable to parse requirement: for '\(token)' operator, the value must be an integer, got \"\(value)\"")
                    }
                } else {
                    if value.contains("=") || value.contains("!") {
                        throw KubeSelectorError(message: "unable to parse requirement: found '\(value)', expected: a label value in \"\(s)\"")
                    }
                    try checkValue(value, key: key)
                }
                return Requirement(key: key, op: op, values: [value])
            }
        }
        if s.contains(" ") {
            throw KubeSelectorError(message: "unable to parse requirement: found '\(s.split(separator: " ").dropFirst().first ?? "")', expected: in, notin, =, ==, !=, gt, lt in \"\(s)\"")
        }
        try checkKey(s)
        return Requirement(key: s, op: .exists, values: [])
    }

    private static func isNameChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") }
    private static func isAlnum(_ c: Character?) -> Bool { c.map { $0.isASCII && ($0.isLetter || $0.isNumber) } ?? false }

    /// `validation.IsQualifiedName`: optional DNS-subdomain prefix, `/`, then a name of at most
    /// 63 characters, alphanumeric at both ends.
    static func checkKey(_ key: String) throws(KubeSelectorError) {
        var name = Substring(key)
        if let slash = key.firstIndex(of: "/") {
            let prefix = key[..<slash]
            name = key[key.index(after: slash)...]
            let ok = !prefix.isEmpty && prefix.count <= 253 && prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { p in
                !p.isEmpty && p.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") } && isAlnum(p.first) && isAlnum(p.last)
            }
            if !ok {
                throw KubeSelectorError(message: "unable to parse requirement: key: Invalid value: \"\(key)\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
            }
        }
        if name.isEmpty || name.count > 63 || !name.allSatisfy(isNameChar) || !isAlnum(name.first) || !isAlnum(name.last) {
            throw KubeSelectorError(message: "unable to parse requirement: key: Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
        }
    }

    /// `validation.IsValidLabelValue`: empty, or at most 63 name characters, alphanumeric at both ends.
    static func checkValue(_ v: String, key: String) throws(KubeSelectorError) {
        if v.isEmpty { return }
        if v.count > 63 || !v.allSatisfy(isNameChar) || !isAlnum(v.first) || !isAlnum(v.last) {
            throw KubeSelectorError(message: "unable to parse requirement: values[0][\(key)]: Invalid value: \"\(v)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
    }
}

/// A `LabelSelector` field (a Job's `spec.selector`) as text, the way `metav1.LabelSelectorAsSelector(s).String()` writes it:
/// `matchLabels` as `k=v`, expressions as `k in (a,b)`, `k notin (a)`, `k`, `!k`, sorted by key.
enum LabelSelectorText {
    static func text(_ s: LabelSelector) -> String {
        var reqs: [LabelSelectorQuery.Requirement] = []
        for (k, v) in s.matchLabels ?? [:] { reqs.append(.init(key: k, op: .equals, values: [v])) }
        for e in s.matchExpressions ?? [] {
            guard let k = e["key"]?.stringValue else { continue }
            let values = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
            switch e["operator"]?.stringValue {
            case "In": reqs.append(.init(key: k, op: .isIn, values: values))
            case "NotIn": reqs.append(.init(key: k, op: .notIn, values: values))
            case "Exists": reqs.append(.init(key: k, op: .exists, values: []))
            case "DoesNotExist": reqs.append(.init(key: k, op: .doesNotExist, values: []))
            default: continue
            }
        }
        return LabelSelectorQuery(requirements: reqs.sorted { $0.key < $1.key }).description
    }
}

/// A field selector as the `fieldSelector` query parameter writes it (`fields.ParseSelector`):
/// comma-separated `field=value`, `field==value` or `field!=value`, with `\,` `\=` `\!` `\\`
/// escapes in values. Only the fields the API server indexes for the resource are accepted
/// (``supportedFields(_:)``); any other is an error, as upstream.
public struct FieldSelectorQuery: Sendable, Equatable {
    public struct Term: Sendable, Equatable {
        public var field: String
        public var value: String
        public var negated: Bool
    }
    public var terms: [Term]

    /// The fields a resource can be selected by (`metadata.name` and `metadata.namespace` for all;
    /// the extra ones each core kind registers with `AddFieldLabelConversionFunc`).
    public static func supportedFields(_ r: KubeResource) -> [String] {
        let base = ["metadata.name", "metadata.namespace"]
        guard let k = r.knownKind else { return base + ["status.phase"] }
        switch k {
        case .pod:
            return base + ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                           "status.phase", "status.podIP", "status.nominatedNodeName"]
        case .node: return base + ["spec.unschedulable"]
        case .event:
            return base + ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                           "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                           "reason", "reportingComponent", "source", "type"]
        case .job: return base + ["status.successful"]
        case .broadcastJob, .advancedCronJob: return base
        }
    }

    /// Parses `text` for resource `r`; throws for a malformed term or an unsupported field, with
    /// upstream's messages.
    public static func parse(_ text: String, for r: KubeResource) throws(KubeSelectorError) -> FieldSelectorQuery {
        var terms: [Term] = []
        let supported = supportedFields(r)
        for part in splitEscaped(text) where !part.isEmpty {
            var field = "", value = "", negated = false
            if let (f, v, neg) = splitTerm(part) {
                field = f.trimmingCharacters(in: .whitespaces); value = unescape(v); negated = neg
            } else {
                throw KubeSelectorError(message: "invalid selector: '\(text)'; can't understand '\(part)'")
            }
            guard supported.contains(field) else {
                if r.isCustomResource || r.knownKind == nil {
                    throw KubeSelectorError(message: "\"\(field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                }
                throw KubeSelectorError(message: "field label not supported: \(field)")
            }
            terms.append(Term(field: field, value: value, negated: negated))
        }
        return FieldSelectorQuery(terms: terms)
    }

    /// Whether an object's fields satisfy every term.
    public func matches(_ o: APIObject) -> Bool {
        terms.allSatisfy { t in (Self.value(of: t.field, in: o) == t.value) != t.negated }
    }

    /// Whether a `v1 Namespace` (see ``KubeResources/namespace(_:created:)``) satisfies every term.
    public func matches(namespace ns: JSONValue) -> Bool {
        terms.allSatisfy { t in
            let v: String
            switch t.field {
            case "metadata.name": v = ns["metadata"]?["name"]?.stringValue ?? ""
            case "status.phase": v = ns["status"]?["phase"]?.stringValue ?? ""
            default: v = ""
            }
            return (v == t.value) != t.negated
        }
    }

    /// The value a field selector compares for `field` (`""` when unset).
    static func value(of field: String, in o: APIObject) -> String {
        let m = o.metadata
        switch field {
        case "metadata.name": return m.name ?? ""
        case "metadata.namespace": return o.kind.namespaced ? (m.namespace ?? "") : ""
        default: break
        }
        switch o {
        case .pod(let p):
            switch field {
            case "spec.nodeName": return p.spec.nodeName ?? ""
            case "status.phase": return p.status?.phase ?? ""
            case "spec.restartPolicy": return p.spec.restartPolicy ?? ""
            case "spec.schedulerName": return p.spec.schedulerName ?? ""
            case "spec.hostNetwork": return p.spec.hostNetwork == true ? "true" : "false"
            case "spec.serviceAccountName": return p.spec.serviceAccountName ?? ""
            case "status.podIP", "status.nominatedNodeName":
                return p.unknownFields?["status"]?[String(field.dropFirst("status.".count))]?.stringValue ?? ""
            default: return ""
            }
        case .node(let n):
            return field == "spec.unschedulable" ? (n.unschedulable ? "true" : "false") : ""
        case .event(let e):
            let ref = e.involvedObject
            switch field {
            case "involvedObject.kind": return ref.kind ?? ""
            case "involvedObject.namespace": return ref.namespace ?? ""
            case "involvedObject.name": return ref.name ?? ""
            case "involvedObject.uid": return ref.uid ?? ""
            case "involvedObject.apiVersion": return ref.apiVersion ?? ""
            case "involvedObject.resourceVersion": return ref.resourceVersion ?? ""
            case "involvedObject.fieldPath": return e.unknownFields?["involvedObject"]?["fieldPath"]?.stringValue ?? ""
            case "reason": return e.reason
            case "type": return e.type
            case "source": return e.source?.component ?? ""
            case "reportingComponent": return e.unknownFields?["reportingComponent"]?.stringValue ?? ""
            default: return ""
            }
        case .job(let j):
            return field == "status.successful" ? String(j.status?.succeeded ?? 0) : ""
        case .broadcastJob, .advancedCronJob:
            return ""
        }
    }

    /// Splits at commas not escaped by a backslash.
    private static func splitEscaped(_ s: String) -> [String] {
        var parts: [String] = []
        var cur = ""
        var escaped = false
        for ch in s {
            if escaped { cur.append(ch); escaped = false; continue }
            if ch == "\\" { cur.append(ch); escaped = true; continue }
            if ch == "," { parts.append(cur); cur = ""; continue }
            cur.append(ch)
        }
        parts.append(cur)
        return parts
    }

    /// `field!=value`, `field==value` or `field=value`, the operator being the first unescaped one.
    private static func splitTerm(_ s: String) -> (String, String, Bool)? {
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            if chars[i] == "\\" { i += 2; continue }
            if chars[i] == "!", i + 1 < chars.count, chars[i + 1] == "=" {
                return (String(chars[..<i]), String(chars[(i + 2)...]), true)
            }
            if chars[i] == "=" {
                let skip = i + 1 < chars.count && chars[i + 1] == "=" ? 2 : 1
                return (String(chars[..<i]), String(chars[(i + skip)...]), false)
            }
            i += 1
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for ch in s {
            if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { out.append(ch) }
        }
        return out
    }
}
