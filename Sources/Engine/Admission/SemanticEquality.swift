import Foundation
import OrderedCollections

/// `apiequality.Semantic.DeepEqual` on manifest value trees, so that fields the typed model keeps only as unknown
/// fields (ports, probes, ...) take part in immutability checks.
///
/// Like the Go helper, nil and empty lists or maps are equal; null members are ignored; an integral double equals
/// the integer.
enum SemanticEquality {
    static func equal(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        normalized(a) == normalized(b)
    }

    static func normalized(_ v: JSONValue?) -> JSONValue? {
        guard let v else { return nil }
        switch v {
        case .null:
            return nil
        case .double(let d):
            if d == d.rounded(), abs(d) < 9e18 { return .int(Int64(d)) }
            return v
        case .array(let a):
            if a.isEmpty { return nil }
            return .array(a.map { normalized($0) ?? .null })
        case .object(let o):
            var out = OrderedDictionary<String, JSONValue>()
            for (k, x) in o {
                if let n = normalized(x) { out[k] = n }
            }
            return out.isEmpty ? nil : .object(out)
        default:
            return v
        }
    }

    /// Whether two objects' specs are semantically equal. `typedEqual` is the caller's comparison of the modelled
    /// parts: when it holds and the unknown spec fields match, nothing is encoded (the common case of an update
    /// that keeps the spec); otherwise both specs are encoded and compared as value trees.
    static func specsEqual<T: KubeObject>(_ a: T, _ b: T, typedEqual: Bool, subtree: String? = nil) -> Bool {
        func unknown(_ o: T) -> JSONValue? {
            let s = o.unknownFields?["spec"]
            return subtree.map { s?[$0] } ?? s
        }
        if typedEqual && unknown(a) == unknown(b) { return true }
        let sa = spec(of: a)
        let sb = spec(of: b)
        return subtree.map { equal(sa?[$0], sb?[$0]) } ?? equal(sa, sb)
    }

    /// The manifest's `spec`, or nil when the object cannot be encoded.
    static func spec<T: KubeObject>(of object: T) -> JSONValue? {
        (try? object.manifest())?["spec"]
    }

    /// `spec` with some top-level keys removed (the fields an update may change).
    static func spec<T: KubeObject>(of object: T, removing keys: [String]) -> JSONValue? {
        guard case .object(var o)? = spec(of: object) else { return spec(of: object) }
        for k in keys { o.removeValue(forKey: k) }
        return .object(o)
    }
}
