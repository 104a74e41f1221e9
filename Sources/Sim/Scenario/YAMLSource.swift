import Foundation
import Yams
import Engine
import OrderedCollections

/// A scenario error: `FILE:LINE:COLUMN: message`. The run exits 2 and nothing is simulated.
public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    /// `FILE:LINE:COLUMN: message`; `FILE: message` when the error has no position (line 0).
    public var description: String { line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)" }
}

/// A YAML node with its position, for typed reading with precise errors.
struct YNode {
    let node: Yams.Node
    let file: String

    var line: Int { node.mark?.line ?? 1 }
    var column: Int { node.mark?.column ?? 1 }

    func error(_ message: String) -> ScenarioError {
        ScenarioError(file: file, line: line, column: column, message: message)
    }

    /// The scalar as written (`1001ms`), else `fallback`: an error quotes what the user wrote,
    /// not a rounding of it.
    func writtenOr(_ fallback: String) -> String {
        if case .scalar(let s) = node { return s.string }
        return fallback
    }

    var kindName: String {
        switch node {
        case .scalar(let s):
            switch Resolver.default.resolveTag(of: node) {
            case .int: return "an integer (\(s.string))"
            case .float: return "a number (\(s.string))"
            case .bool: return "a boolean (\(s.string))"
            case .null: return "null"
            default: return "a string (\"\(s.string)\")"
            }
        case .mapping: return "a map"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        if case .scalar = node, Resolver.default.resolveTag(of: node) == .null { return true }
        return false
    }

    /// Map entries in file order; keys must be strings.
    func mapping(_ what: String) throws -> [(key: String, keyNode: YNode, value: YNode)] {
        guard case .mapping(let m) = node else { throw error("\(what) must be a map, found \(kindName)") }
        var out: [(String, YNode, YNode)] = []
        var seen = Set<String>()
        for (k, v) in m {
            let kn = YNode(node: k, file: file)
            guard case .scalar(let ks) = k else { throw kn.error("map keys must be strings") }
            if seen.contains(ks.string) { throw kn.error("duplicate key \"\(ks.string)\"") }
            seen.insert(ks.string)
            out.append((ks.string, kn, YNode(node: v, file: file)))
        }
        return out
    }

    /// Map entries, rejecting keys outside `allowed` (with a suggestion).
    func fields(_ what: String, allowed: [String]) throws -> [String: YNode] {
        var out: [String: YNode] = [:]
        for (k, kn, v) in try mapping(what) {
            guard allowed.contains(k) else {
                var msg = "unknown key \"\(k)\" in \(what)"
                if let s = suggestion(k, allowed) { msg += " (did you mean \"\(s)\"?)" }
                msg += "; expected one of: \(allowed.joined(separator: ", "))"
                throw kn.error(msg)
            }
            out[k] = v
        }
        return out
    }

    func sequence(_ what: String) throws -> [YNode] {
        guard case .sequence(let s) = node else { throw error("\(what) must be a list, found \(kindName)") }
        return s.map { YNode(node: $0, file: file) }
    }

    func string(_ what: String) throws -> String {
        guard case .scalar(let s) = node, Resolver.default.resolveTag(of: node) != .null else { throw error("\(what) must be a string, found \(kindName)") }
        return s.string
    }

    func int(_ what: String) throws -> Int64 {
        guard case .scalar(let s) = node, let v = Int64(s.string.replacingOccurrences(of: "_", with: "")), Resolver.default.resolveTag(of: node) == .int || Resolver.default.resolveTag(of: node) == .str else {
            throw error("\(what) must be an integer, found \(kindName)")
        }
        return v
    }

    /// An integer within `range`; the error names the field and the range.
    func int(_ what: String, in range: ClosedRange<Int64>) throws -> Int64 {
        let tag = Resolver.default.resolveTag(of: node)
        guard case .scalar(let s) = node, tag == .int || tag == .str,
              let v = Int64(s.string.replacingOccurrences(of: "_", with: "")), range.contains(v) else {
            let found: String
            if case .scalar(let s) = node, tag == .int || tag == .float { found = s.string } else { found = kindName }
            throw error("\(what) must be an integer from \(range.lowerBound) to \(range.upperBound), found \(found)")
        }
        return v
    }

    /// A seed: any integer from -2^63 to 2^64-1 (a negative one is taken as its 64-bit two's complement).
    func seed(_ what: String) throws -> UInt64 {
        if case .scalar(let s) = node, Resolver.default.resolveTag(of: node) == .int {
            let digits = s.string.replacingOccurrences(of: "_", with: "")
            if let v = Int64(digits) { return UInt64(bitPattern: v) }
            if let v = UInt64(digits) { return v }
        }
        throw error("\(what) must be an integer from -9223372036854775808 to 18446744073709551615, found \(kindName)")
    }

    func double(_ what: String) throws -> Double {
        guard case .scalar(let s) = node, Resolver.default.resolveTag(of: node) == .int || Resolver.default.resolveTag(of: node) == .float, let v = Double(s.string) else {
            throw error("\(what) must be a number, found \(kindName)")
        }
        return v
    }

    func bool(_ what: String) throws -> Bool {
        guard case .scalar = node, Resolver.default.resolveTag(of: node) == .bool, let b = node.bool else {
            throw error("\(what) must be true or false, found \(kindName)")
        }
        return b
    }

    /// The first number inside this node that JSON cannot carry (`1e309`, `-.inf`, `.nan`), with its path:
    /// Kubernetes' YAML-to-JSON conversion rejects these, and so does the loader.
    func nonFiniteNumber(path: String = "") -> (node: YNode, path: String)? {
        switch node {
        case .scalar:
            if Resolver.default.resolveTag(of: node) == .float, let f = node.float, !f.isFinite { return (self, path) }
            return nil
        case .mapping(let m):
            for (k, v) in m {
                let key = k.string ?? ""
                if let hit = YNode(node: v, file: file).nonFiniteNumber(path: path.isEmpty ? key : path + "." + key) { return hit }
            }
            return nil
        case .sequence(let items):
            for (i, v) in items.enumerated() {
                if let hit = YNode(node: v, file: file).nonFiniteNumber(path: path + "[\(i)]") { return hit }
            }
            return nil
        case .alias:
            return nil
        }
    }

    /// Throws at the first number JSON cannot carry.
    func requireFiniteNumbers() throws {
        if let (bad, path) = nonFiniteNumber(), case .scalar(let s) = bad.node {
            throw bad.error("\(path.isEmpty ? "value" : path): \(s.string) is not a finite number (JSON has no infinity or NaN)")
        }
    }

    /// The node as a JSON value (YAML core schema typing).
    func json() -> JSONValue {
        switch node {
        case .scalar(let s):
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int: if let i = Int64(s.string.replacingOccurrences(of: "_", with: "")) { return .int(i) } else if let i = node.int { return .int(Int64(i)) }; return .string(s.string)
            case .float: return .double(node.float ?? 0)
            default: return .string(s.string)
            }
        case .mapping(let m):
            var o = OrderedDictionary<String, JSONValue>()
            for (k, v) in m { o[k.string ?? ""] = YNode(node: v, file: file).json() }
            return .object(o)
        case .sequence(let s):
            return .array(s.map { YNode(node: $0, file: file).json() })
        case .alias:
            return .null
        }
    }

    /// The node at a coding path (for decoding errors), or the deepest one found.
    func descend(_ path: [CodingKey]) -> YNode {
        var cur = self
        for k in path {
            switch cur.node {
            case .mapping(let m):
                guard let v = m.first(where: { $0.key.string == k.stringValue })?.value else { return cur }
                cur = YNode(node: v, file: file)
            case .sequence(let s):
                guard let i = k.intValue, i < s.count else { return cur }
                cur = YNode(node: s[i], file: file)
            default:
                return cur
            }
        }
        return cur
    }
}

/// The allowed word closest to `s` (edit distance ≤ 2), for "did you mean".
func suggestion(_ s: String, _ allowed: [String]) -> String? {
    func dist(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        var prev = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
    let best = allowed.map { ($0, dist(s, $0)) }.min { $0.1 < $1.1 }
    if let best, best.1 <= 2 { return best.0 }
    return nil
}

/// Parses YAML text into documents, turning a syntax error into a positioned scenario error.
func parseYAMLDocuments(_ text: String, file: String) throws -> [YNode] {
    do {
        // Not `compose_all`: its sequence ends quietly at a syntax error instead of throwing.
        let parser = try Yams.Parser(yaml: text)
        var docs: [YNode] = []
        while let n = try parser.nextRoot() { docs.append(YNode(node: n, file: file)) }
        return docs
    } catch let e as YamlError {
        switch e {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _), .composer(let ctx, let problem, let mark, _):
            // "found unexpected end of stream while scanning a quoted scalar that starts at line 2, column 7"
            var msg = "YAML syntax error: \(problem)"
            if let ctx, !ctx.text.isEmpty {
                msg += " \(ctx.text)"
                if ctx.mark.line != mark.line || ctx.mark.column != mark.column {
                    msg += " that starts at line \(ctx.mark.line), column \(ctx.mark.column)"
                }
            }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line >= 1, mark.line <= lines.count {
                let line = lines[mark.line - 1].unicodeScalars
                if mark.column >= 1, mark.column <= line.count, line[line.index(line.startIndex, offsetBy: mark.column - 1)] == "\t" {
                    msg += " (a tab: YAML indents with spaces only)"
                }
            }
            throw ScenarioError(file: file, line: mark.line, column: mark.column, message: msg)
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            throw duplicateKeyError(duplicates.sorted(), mapping: ctx.mark, text: text, file: file)
        default:
            throw ScenarioError(file: file, line: 1, column: 1, message: "YAML error: \(e)")
        }
    } catch {
        throw ScenarioError(file: file, line: 1, column: 1, message: "YAML error: \(error)")
    }
}

/// A map that spells a key twice. Yams reports where the map starts; in a block map the keys
/// start at its column, so the second line there spelling the key is where the error points
/// (a flow map, `{a: 1, a: 2}`, is pointed at where it starts).
func duplicateKeyError(_ keys: [String], mapping: Mark, text: String, file: String) -> ScenarioError {
    let key = keys.first ?? ""
    var message = "duplicate key \"\(key)\" in one map: YAML keys must be unique"
    if keys.count > 1 { message += " (also duplicated: \(keys.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")))" }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let column = mapping.column - 1
    var first: Int?
    for i in max(0, mapping.line - 1)..<lines.count {
        let line = Array(lines[i].unicodeScalars)
        let indent = line.firstIndex { $0 != " " } ?? line.count
        if i > mapping.line - 1, indent < line.count, line[indent] != "#", indent < column { break }  // the map ended
        guard line.count > column else { continue }
        let rest = String(String.UnicodeScalarView(line[column...]))
        guard [key + ":", "\"\(key)\":", "'\(key)':"].contains(where: { rest.hasPrefix($0) }) else { continue }
        if let f = first {
            return ScenarioError(file: file, line: i + 1, column: mapping.column, message: message + "; the first is at line \(f)")
        }
        first = i + 1
    }
    return ScenarioError(file: file, line: mapping.line, column: mapping.column, message: message)
}

/// A scenario's or manifest's text: UTF-8, as YAML 1.2 and Kubernetes read it. An unreadable
/// file, or one with a byte that is not UTF-8, is an error at that byte's line and column.
func readUTF8File(_ path: String) throws(ScenarioError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        let exists = FileManager.default.fileExists(atPath: path)
        throw ScenarioError(file: path, line: 0, column: 0, message: exists ? "cannot read the file (a directory, or no permission to read it)" : "no such file")
    }
    if let text = String(validating: data, as: UTF8.self) { return text }
    var parser = Unicode.UTF8.ForwardParser()
    var bytes = data.makeIterator()
    var line = 1, column = 1
    while true {
        switch parser.parseScalar(from: &bytes) {
        case .valid(let scalar):
            if scalar.count == 1 && scalar.first == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        case .emptyInput:
            return String(decoding: data, as: UTF8.self)
        case .error:
            let utf16 = data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF])
            throw ScenarioError(file: path, line: line, column: column,
                                message: "not UTF-8 text: a byte here is not UTF-8 (YAML files are read as UTF-8\(utf16 ? "; this one starts like UTF-16: save it as UTF-8" : ""))")
        }
    }
}
