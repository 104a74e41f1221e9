import Foundation
import Engine

/// Image references as the container runtime shows them: `minchou/cleaner:v1` is
/// `docker.io/minchou/cleaner:v1`; `busybox` is `docker.io/library/busybox:latest`.
public enum ImageRef {
    /// The fully qualified reference, with `:latest` when no tag or digest is given.
    public static func normalize(_ ref: String) -> String {
        var r = prefixNormalize(ref)
        let lastComponent = r.split(separator: "/").last.map(String.init) ?? r
        if !lastComponent.contains(":") && !lastComponent.contains("@") { r += ":latest" }
        return r
    }

    /// Normalises the registry and repository part only (for prefixes and globs).
    public static func prefixNormalize(_ ref: String) -> String {
        // Keep an empty remainder: the prefix key `minchou/*` is `minchou/`, a Docker Hub user.
        let parts = ref.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return "docker.io/library/" + ref }
        let first = parts[0]
        if first.contains(".") || first.contains(":") || first == "localhost" { return ref }
        return "docker.io/" + ref
    }

    /// Shell-style glob with `*` (any run) and `?` (one character), on normalized names.
    public static func globMatch(_ pattern: String, _ s: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(s.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    /// A glob normalised like an image reference (`minchou/*` → `docker.io/minchou/*`).
    /// A glob that starts with a wildcard (`*`, `*cleaner*`) is not anchored to a registry and is
    /// matched as written.
    public static func normalizeGlob(_ g: String) -> String {
        if g.hasPrefix("*") || g.hasPrefix("?") { return g }
        return prefixNormalize(g)
    }
}

/// What a container of an image does (the scenario's `images` section).
public struct ImageBehavior: Sendable, Equatable {
    public enum Run: Sendable, Equatable {
        case duration(DurationSpec)
        case forever
    }
    public enum Effect: Sendable, Equatable {
        case deleteImages(match: String, keepInUse: Bool)
        case freeDisk(Int64)
        case fillDisk(Int64)
    }
    public var size: Int64 = 50_000_000
    public var run: Run = .duration(DurationSpec(10))
    public var exitCode: Int32 = 0
    public var failureRate: Double = 0
    public var effects: [Effect] = []
    public init() {}
}

/// The scenario's image table: exact keys first, then the longest matching `prefix*` key.
public struct ImageCatalog: Sendable {
    public var exact: [String: ImageBehavior] = [:]
    public var prefixes: [(prefix: String, behavior: ImageBehavior)] = []
    public init() {}

    public mutating func add(key: String, _ b: ImageBehavior) {
        if key.hasSuffix("*") {
            prefixes.append((ImageRef.prefixNormalize(String(key.dropLast())), b))
            prefixes.sort { $0.prefix.count > $1.prefix.count }
        } else {
            exact[ImageRef.normalize(key)] = b
        }
    }

    public func behavior(for image: String) -> ImageBehavior {
        let n = ImageRef.normalize(image)
        if let b = exact[n] { return b }
        for p in prefixes where n.hasPrefix(p.prefix) { return p.behavior }
        return ImageBehavior()
    }
}

/// The image catalog with its lookups remembered: every kubelet of one simulation asks the same
/// few questions (an image reference's normal form, its behaviour) for every container it runs.
final class ImageResolver {
    let catalog: ImageCatalog
    private var normalized: [String: String] = [:]
    private var behaviors: [String: ImageBehavior] = [:]
    init(_ catalog: ImageCatalog) { self.catalog = catalog }

    func normalize(_ ref: String) -> String {
        if let n = normalized[ref] { return n }
        let n = ImageRef.normalize(ref)
        normalized[ref] = n
        return n
    }

    func behavior(for image: String) -> ImageBehavior {
        if let b = behaviors[image] { return b }
        let b = catalog.behavior(for: image)
        behaviors[image] = b
        return b
    }
}
