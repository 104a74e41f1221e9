import Engine

/// `--mutant NAME` given a name that is no mutant.
public struct UnknownMutant: Error, CustomStringConvertible, Equatable {
    public var name: String
    public var description: String {
        var msg = "unknown mutant \"\(name)\": expected one of \(Mutant.allCases.map(\.name).joined(separator: ", "))"
        if let s = Mutant.suggestion(for: name) { msg += " (did you mean \"\(s)\"?)" }
        return msg + "; `kruise-sim mutants` lists them"
    }
}

extension Mutant {
    /// The mutant called `name` (as `kruise-sim mutants` prints it).
    public static func named(_ name: String) throws(UnknownMutant) -> Mutant {
        guard let m = Mutant(rawValue: name) else { throw UnknownMutant(name: name) }
        return m
    }

    /// The closest mutant name: within two edits, else the only one that starts with `name`
    /// or contains it (`--mutant taints` → `ignore-taints`).
    public static func suggestion(for name: String) -> String? {
        let names = allCases.map(\.name)
        if let s = Sim.suggestion(name, names) { return s }
        let lower = name.lowercased()
        guard lower.count >= 3 else { return nil }
        let prefixed = names.filter { $0.hasPrefix(lower) }
        if prefixed.count == 1 { return prefixed[0] }
        let containing = names.filter { $0.contains(lower) }
        return containing.count == 1 ? containing[0] : nil
    }
}
