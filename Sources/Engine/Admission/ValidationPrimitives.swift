import Foundation

// The apimachinery validation helpers (`k8s.io/apimachinery/pkg/util/validation`, `.../api/validation`,
// `.../apis/meta/v1/validation`) with their exact messages, written as character loops (no regex engine on the
// pod-creation path), plus the `field.Error` value rendering (`%q`, `%v`, `%#v`) the messages need.

/// Whether `name` is an RFC 1123 subdomain of at most 253 characters (lower-case alphanumerics,
/// '-' and '.'): `validation.IsDNS1123Subdomain` finds nothing wrong, as a node's name requires.
public func isDNS1123SubdomainName(_ name: String) -> Bool {
    KubeValidation.isDNS1123Subdomain(name).isEmpty
}

/// Names, labels and quantities checked the way apimachinery checks them; every function returns the upstream
/// message strings (empty when the value is valid), as the Go helpers do.
enum KubeValidation {
    // MARK: Messages

    static let dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelErrMsg =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
    static let dns1123SubdomainErrMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameErrMsg =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFmt = "(" + qualifiedNameFmt + ")?"
    static let labelValueErrMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let isNegativeErrorMsg = "must be greater than or equal to 0"
    static let isNotIntegerErrorMsg = "must be an integer"
    static let fieldImmutableErrorMsg = "field is immutable"

    /// `validation.RegexError`.
    static func regexError(_ msg: String, _ fmt: String, _ examples: String...) -> String {
        if examples.isEmpty { return msg + " (regex used for validation is '" + fmt + "')" }
        var s = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { s += " or " }
            s += "'" + e + "', "
        }
        return s + "regex used for validation is '" + fmt + "')"
    }

    /// `validation.MaxLenError`.
    static func maxLenError(_ n: Int) -> String { "must be no more than \(n) characters" }
    /// `validation.EmptyError`.
    static func emptyError() -> String { "must be non-empty" }

    // MARK: Character classes (ASCII only, as the Go regexes)

    @inline(__always) static func isLowerAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isLowerAlnum(b) || (b >= 0x41 && b <= 0x5A) }

    /// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` on a byte slice.
    static func matchesDNS1123Label<C: Collection>(_ b: C) -> Bool where C.Element == UInt8 {
        guard let first = b.first, isLowerAlnum(first) else { return false }
        var last = first
        for c in b {
            guard isLowerAlnum(c) || c == UInt8(ascii: "-") else { return false }
            last = c
        }
        return isLowerAlnum(last)
    }

    /// `^label(\.label)*$`, in one pass over the bytes.
    static func matchesDNS1123Subdomain<C: Collection>(_ b: C) -> Bool where C.Element == UInt8 {
        let dot = UInt8(ascii: "."), dash = UInt8(ascii: "-")
        var prev = dot  // as if after a dot: a label starts with [a-z0-9]
        for c in b {
            if c == dot {
                guard isLowerAlnum(prev) else { return false }  // no empty label, none ending in '-'
            } else if c == dash {
                guard prev != dot else { return false }
            } else {
                guard isLowerAlnum(c) else { return false }
            }
            prev = c
        }
        return isLowerAlnum(prev)
    }
    static func matchesDNS1123Subdomain(_ s: String) -> Bool { withBytes(s) { matchesDNS1123Subdomain($0) } }

    /// Runs `body` on the string's UTF-8 bytes as one buffer: the matchers above walk a buffer
    /// several times faster than a `String.UTF8View`.
    @inline(__always) static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = s
        return s.withUTF8(body)
    }

    /// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`.
    static func matchesQualifiedName<C: Collection>(_ b: C) -> Bool where C.Element == UInt8 {
        guard let first = b.first, isAlnum(first) else { return false }
        var last = first
        for c in b {
            guard isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") else { return false }
            last = c
        }
        return isAlnum(last)
    }

    // MARK: Validators

    /// `validation.IsDNS1123Label`.
    static func isDNS1123Label(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !withBytes(value, { matchesDNS1123Label($0) }) {
            if matchesDNS1123Subdomain(value) {
                errs.append("must not contain dots")
            } else {
                errs.append(regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
            }
        }
        return errs
    }

    /// `validation.IsDNS1123Subdomain`.
    static func isDNS1123Subdomain(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 253 { errs.append(maxLenError(253)) }
        if !matchesDNS1123Subdomain(value) {
            errs.append(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
        }
        return errs
    }

    /// `maskTrailingDash` (upstream drops the last two characters and appends `a`).
    static func maskTrailingDash(_ name: String) -> String {
        let b = Array(name.utf8)
        if b.count > 1, b.last == UInt8(ascii: "-") {
            return String(decoding: b[..<(b.count - 2)], as: UTF8.self) + "a"
        }
        return name
    }

    /// `NameIsDNSSubdomain` (Pod, Job, Node and custom-resource names).
    static func nameIsDNSSubdomain(_ name: String, prefix: Bool) -> [String] {
        isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)
    }

    /// `NameIsDNSLabel` (namespaces).
    static func nameIsDNSLabel(_ name: String, prefix: Bool) -> [String] {
        isDNS1123Label(prefix ? maskTrailingDash(name) : name)
    }

    /// `validation.IsQualifiedName` (label and annotation keys).
    static func isQualifiedName(_ value: String) -> [String] {
        // The common case, a valid name with or without a prefix ("apps.kruise.io/name"),
        // answers without allocating.
        let valid = withBytes(value) { u in
            if let slash = u.firstIndex(of: UInt8(ascii: "/")) {
                let prefix = u[..<slash], name = u[(slash + 1)...]
                return !prefix.isEmpty && prefix.count <= 253 && matchesDNS1123Subdomain(prefix)
                    && !name.isEmpty && name.count <= 63 && matchesQualifiedName(name)
            }
            return !u.isEmpty && u.count <= 63 && matchesQualifiedName(u)
        }
        if valid { return [] }
        var errs: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part " + emptyError())
            } else {
                errs.append(contentsOf: isDNS1123Subdomain(prefix).map { "prefix part " + $0 })
            }
        default:
            return ["a qualified name " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errs.append("name part " + emptyError())
        } else if name.utf8.count > 63 {
            errs.append("name part " + maxLenError(63))
        }
        if !withBytes(name, { matchesQualifiedName($0) }) {
            errs.append("name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"))
        }
        return errs
    }

    /// `validation.IsValidLabelValue`: at most 63 characters of `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`.
    static func isValidLabelValue(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !value.isEmpty && !withBytes(value, { matchesQualifiedName($0) }) {
            errs.append(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
        }
        return errs
    }

    // MARK: Field-level helpers

    /// `v1validation.ValidateLabels` (keys in sorted order, so the output is deterministic).
    static func validateLabels(_ labels: [String: String]?, path: @autoclosure () -> String) -> [FieldError] {
        guard let labels, !labels.isEmpty else { return [] }
        // Valid labels (every admitted object's) are told without sorting or spelling out the path;
        // the errors, when there are any, come in key order.
        if labels.allSatisfy({ isQualifiedName($0.key).isEmpty && isValidLabelValue($0.value).isEmpty }) { return [] }
        let path = path()
        var errs: [FieldError] = []
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            errs.append(contentsOf: validateLabelName(k, path: path))
            for msg in isValidLabelValue(v) {
                errs.append(FieldError(.invalid, field: path, value: goQuote(v), msg))
            }
        }
        return errs
    }

    /// `v1validation.ValidateLabelName`.
    static func validateLabelName(_ key: String, path: @autoclosure () -> String) -> [FieldError] {
        let msgs = isQualifiedName(key)
        if msgs.isEmpty { return [] }  // the path is spelled out only for an error
        let field = path()
        return msgs.map { FieldError(.invalid, field: field, value: goQuote(key), $0) }
    }

    /// `ValidateAnnotations` (key syntax; the 256 KiB total-size limit is not modelled).
    static func validateAnnotations(_ annotations: [String: String]?, path: @autoclosure () -> String) -> [FieldError] {
        guard let annotations else { return [] }
        var errs: [FieldError] = []
        for k in annotations.keys.sorted() {
            for msg in isQualifiedName(k.lowercased()) {
                errs.append(FieldError(.invalid, field: path(), value: goQuote(k), msg))
            }
        }
        return errs
    }

    /// `ValidateNonnegativeField`.
    static func validateNonnegative(_ value: Int64?, path: @autoclosure () -> String) -> [FieldError] {
        guard let value, value < 0 else { return [] }
        return [FieldError(.invalid, field: path(), value: String(value), isNegativeErrorMsg)]
    }

    /// `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`.
    static func notSupported(_ path: String, _ value: String, _ supported: [String]) -> FieldError {
        FieldError(.notSupported, field: path, value: goQuote(value),
                   "supported values: " + supported.map(goQuote).joined(separator: ", "))
    }
}

// MARK: - Rendering bad values as Go's field.Error does

/// Go `strconv.Quote`: double quotes, backslash escapes for `"`, `\` and control characters.
func goQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            let v = u.value
            if v < 0x20 || v == 0x7F {
                out += String(format: "\\x%02x", v)
            } else if v >= 0x80 && v < 0xA0 {
                out += String(format: "\\u%04x", v)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Go `%#v` of a `map[string]string` (keys sorted, as fmt prints maps).
func goMapLiteral(_ m: [String: String]?) -> String {
    guard let m else { return "map[string]string(nil)" }
    return "map[string]string{" + m.keys.sorted().map { "\(goQuote($0)):\(goQuote(m[$0]!))" }.joined(separator: ", ") + "}"
}

/// A compact JSON rendering of a value too large for Go's `%#v` to be useful (immutable templates, selectors).
func compactJSON<T: Encodable>(_ value: T) -> String {
    guard let v = try? JSONValue(encoding: value) else { return "{}" }
    return v.jsonText()
}

extension Array where Element == FieldError {
    /// `ErrorList.ToAggregate`: identical messages are reported once, first occurrence kept.
    func dedupedByMessage() -> [FieldError] {
        var seen = Set<String>()
        return filter { seen.insert($0.description).inserted }
    }
}
