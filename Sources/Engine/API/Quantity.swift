import Foundation

/// A Kubernetes resource quantity (`100m`, `2`, `79Gi`, `1.5G`, `1e3`), compared exactly.
///
/// The value is held as an integer count of nano-units (rounded up, as Kubernetes rounds
/// values finer than its smallest scale), so `1Gi == 1073741824` and `1000m == 1`.
/// The original spelling is kept for output.
public struct Quantity: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The value in units of 10^-9 (nano-units).
    public let nanos: Int128
    /// The text as written (or a canonical text for computed values).
    public let text: String

    public static let zero = Quantity(nanos: 0, text: "0")

    init(nanos: Int128, text: String) {
        self.nanos = nanos
        self.text = text
    }

    /// A quantity of whole units (bytes, cores, pods).
    public init(_ units: Int64) {
        self.nanos = Int128(units) * 1_000_000_000
        self.text = String(units)
    }

    /// A quantity of milli-units (e.g. millicores).
    public init(milli: Int64) {
        self.nanos = Int128(milli) * 1_000_000
        self.text = milli % 1000 == 0 ? String(milli / 1000) : "\(milli)m"
    }

    public var description: String { text }

    /// The value in whole units, rounded up (as Kubernetes `Value()`).
    public var value: Int64 {
        let (q, r) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        let v = r > 0 ? q + 1 : q
        return Int64(clamping: v)
    }
    /// The value in milli-units, rounded up (as Kubernetes `MilliValue()`).
    public var milliValue: Int64 {
        let (q, r) = nanos.quotientAndRemainder(dividingBy: 1_000_000)
        return Int64(clamping: r > 0 ? q + 1 : q)
    }
    public var doubleValue: Double { Double(nanos) / 1e9 }

    public static func < (a: Quantity, b: Quantity) -> Bool { a.nanos < b.nanos }
    public static func == (a: Quantity, b: Quantity) -> Bool { a.nanos == b.nanos }
    public func hash(into h: inout Hasher) { h.combine(nanos) }

    /// Values are kept within ±`limitNanos` (about 1.3e27 units, far beyond any real resource): a larger written
    /// value, and any sum or difference past it, saturates there instead of overflowing.
    public static let limitNanos: Int128 = 1 << 120

    static func clamped(_ n: Int128) -> Int128 { Swift.min(Swift.max(n, -limitNanos), limitNanos) }

    public static func + (a: Quantity, b: Quantity) -> Quantity {
        let n = clamped(a.nanos + b.nanos)  // |a|, |b| ≤ 2^120: the sum cannot overflow Int128
        return Quantity(nanos: n, text: Quantity.canonical(n))
    }
    public static func - (a: Quantity, b: Quantity) -> Quantity {
        let n = clamped(a.nanos - b.nanos)
        return Quantity(nanos: n, text: Quantity.canonical(n))
    }

    static func canonical(_ nanos: Int128) -> String {
        if nanos % 1_000_000_000 == 0 { return String(nanos / 1_000_000_000) }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)m" }
        if nanos % 1_000 == 0 { return "\(nanos / 1_000)u" }
        return "\(nanos)n"
    }

    /// Parses Kubernetes quantity syntax: a signed decimal number, then a binary suffix
    /// (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E) or an exponent (`e3`, `E-2`).
    /// With `allowByteUnits`, the decimal byte units `kB`, `MB`, `GB`, `TB` that `crictl images`
    /// prints are accepted as well.
    public init?(parsing s: String, allowByteUnits: Bool = false) {
        let str = s.trimmingCharacters(in: .whitespaces)
        guard !str.isEmpty else { return nil }
        let scalars = Array(str.unicodeScalars)
        var i = 0
        var negative = false
        if scalars[0] == "+" || scalars[0] == "-" {
            negative = scalars[0] == "-"
            i = 1
        }
        var intDigits = ""
        var fracDigits = ""
        while i < scalars.count, ("0"..."9").contains(scalars[i]) { intDigits.unicodeScalars.append(scalars[i]); i += 1 }
        if i < scalars.count, scalars[i] == "." {
            i += 1
            while i < scalars.count, ("0"..."9").contains(scalars[i]) { fracDigits.unicodeScalars.append(scalars[i]); i += 1 }
        }
        guard !(intDigits.isEmpty && fracDigits.isEmpty) else { return nil }
        let suffix = String(String.UnicodeScalarView(scalars[i...]))
        // mantissa as integer with `fracDigits.count` decimal places
        var base10Exp = 0
        var binaryMul: Int128 = 1
        switch suffix {
        case "": break
        case "n": base10Exp = -9
        case "u": base10Exp = -6
        case "m": base10Exp = -3
        case "k": base10Exp = 3
        case "M": base10Exp = 6
        case "G": base10Exp = 9
        case "T": base10Exp = 12
        case "P": base10Exp = 15
        case "E": base10Exp = 18
        case "Ki": binaryMul = 1 << 10
        case "Mi": binaryMul = 1 << 20
        case "Gi": binaryMul = 1 << 30
        case "Ti": binaryMul = 1 << 40
        case "Pi": binaryMul = 1 << 50
        case "Ei": binaryMul = 1 << 60
        case "kB" where allowByteUnits, "KB" where allowByteUnits: base10Exp = 3
        case "MB" where allowByteUnits: base10Exp = 6
        case "GB" where allowByteUnits: base10Exp = 9
        case "TB" where allowByteUnits: base10Exp = 12
        case "B" where allowByteUnits: break
        default:
            // exponent form e.g. "1e3", "5E-2"
            guard let first = suffix.first, first == "e" || first == "E",
                  let e = Int(suffix.dropFirst()), abs(e) <= 30 else { return nil }
            base10Exp = e
        }
        guard intDigits.count + fracDigits.count <= 30 else { return nil }
        guard let mantissa = Int128(intDigits + fracDigits) else { return nil }
        // value = mantissa * 10^(base10Exp - frac) * binaryMul, in nanos: * 10^9
        let exp = base10Exp - fracDigits.count + 9
        var (n, overflow) = mantissa.multipliedReportingOverflow(by: binaryMul)
        if exp >= 0 {
            for _ in 0..<exp where !overflow && n <= Quantity.limitNanos {
                (n, overflow) = n.multipliedReportingOverflow(by: 10)
            }
            if overflow || n > Quantity.limitNanos { n = Quantity.limitNanos }
        } else if overflow {
            n = Quantity.limitNanos
        } else if -exp > 38 {
            n = n > 0 ? 1 : 0  // below one nano-unit: rounds up (10^39 would overflow the divisor)
        } else {
            var divisor: Int128 = 1
            for _ in 0..<(-exp) { divisor *= 10 }
            let (q, r) = n.quotientAndRemainder(dividingBy: divisor)
            n = r > 0 ? q + 1 : q  // round up, as Kubernetes does below nano scale
        }
        // A fraction times a binary suffix can stay below Int128's overflow yet exceed the limit after the
        // division above ("9751473063136303698.5451677612Gi"): held at the limit like every other large value.
        n = Swift.min(n, Quantity.limitNanos)
        self.nanos = negative ? -n : n
        self.text = str
    }
}

extension Quantity: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int64.self) {
            self = Quantity(i)
            return
        }
        if let d = try? c.decode(Double.self), let q = Quantity(parsing: String(d)) {
            self = q
            return
        }
        let s = try c.decode(String.self)
        guard let q = Quantity(parsing: s) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got \"\(s)\")")
        }
        self = q
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

/// A resource list (`cpu`, `memory`, `pods`, `ephemeral-storage`, extended resources).
public typealias ResourceList = [String: Quantity]

/// `intstr.IntOrString`: an int, or a string such as `"50%"`.
public enum IntOrString: Hashable, Sendable, Codable, CustomStringConvertible {
    case int(Int32)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int32.self) { self = .int(i); return }
        guard let s = try? c.decode(String.self) else {
            throw DecodingError.typeMismatch(IntOrString.self, .init(codingPath: decoder.codingPath, debugDescription: "expected an integer or a string such as \"50%\""))
        }
        self = .string(s)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }

    public struct PercentError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `intstr.GetScaledValueFromIntOrPercent`: an int is returned as is; `"N%"` is N percent of
    /// `total`, rounded up when `roundUp` (else down). A string without `%` is an error with the
    /// upstream message.
    public func scaledValue(total: Int, roundUp: Bool) throws(PercentError) -> Int {
        switch self {
        case .int(let i):
            return Int(i)
        case .string(let s):
            // `getIntOrPercentValueSafely`: the `%` suffix is checked before the number.
            guard s.hasSuffix("%") else {
                throw PercentError(description: "invalid value for IntOrString: invalid type: string is not a percentage")
            }
            let digits = String(s.dropLast())
            guard let v = Int(digits) else {
                throw PercentError(description: "invalid value for IntOrString: invalid value \"\(s)\": strconv.Atoi: parsing \"\(digits)\": invalid syntax")
            }
            if roundUp {
                let p = v * total
                return p >= 0 ? (p + 99) / 100 : p / 100
            }
            return v * total / 100
        }
    }
}
