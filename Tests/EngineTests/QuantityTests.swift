import Foundation
import Testing
@testable import Engine

private func q(_ s: String, bytes: Bool = false) -> Quantity? { Quantity(parsing: s, allowByteUnits: bytes) }

@Suite struct QuantityTests {
    @Test func decimalSuffixes() async {
        #expect(q("1n")!.nanos == 1)
        #expect(q("1u")!.nanos == 1_000)
        #expect(q("1m")!.nanos == 1_000_000)
        #expect(q("1")!.nanos == 1_000_000_000)
        #expect(q("1k") == Quantity(1_000))
        #expect(q("1M") == Quantity(1_000_000))
        #expect(q("1G") == Quantity(1_000_000_000))
        #expect(q("1T") == Quantity(1_000_000_000_000))
        #expect(q("1P") == Quantity(1_000_000_000_000_000))
        #expect(q("1E") == Quantity(1_000_000_000_000_000_000))
    }

    @Test func binarySuffixes() async {
        #expect(q("1Ki") == Quantity(1024))
        #expect(q("1Mi") == Quantity(1_048_576))
        #expect(q("1Gi") == Quantity(1_073_741_824))
        #expect(q("1Ti") == Quantity(1_099_511_627_776))
        #expect(q("1Pi") == Quantity(1 << 50))
        #expect(q("1Ei") == Quantity(1 << 60))
        #expect(q("1.5Gi") == Quantity(1_610_612_736))
        #expect(q("79Gi")!.value == 79 * 1_073_741_824)
    }

    @Test func exponentForm() async {
        #expect(q("1e3") == Quantity(1_000))
        #expect(q("1E3") == Quantity(1_000))
        #expect(q("5e-3") == Quantity(milli: 5))
        #expect(q("1.5e2") == Quantity(150))
    }

    @Test func comparisonIsExactAcrossSpellings() async {
        #expect(q("1Gi") == q("1073741824"))
        #expect(q("1000m") == q("1"))
        #expect(q("1000m") == Quantity(1))
        #expect(q("0.5") == q("500m"))
        #expect(q("1k") == q("1000"))
        #expect(q("1M") == q("1e6"))
        #expect(q("1Gi")! > q("1G")!)
        #expect(q("999m")! < q("1")!)
        #expect(q("1000000001n")! > q("1")!)
        #expect(Set([q("1")!, q("1000m")!, q("1e0")!]).count == 1)
        #expect(q("2")! + q("500m")! == q("2.5")!)
        #expect(q("2")! - q("500m")! == q("1.5")!)
    }

    @Test func fractionsAndSigns() async {
        #expect(q("0.1")!.nanos == 100_000_000)
        #expect(q(".5") == q("500m"))
        #expect(q("+2") == Quantity(2))
        #expect(q("-2")!.nanos == -2_000_000_000)
        // Below nano scale, values round up.
        #expect(q("0.1n")!.nanos == 1)
        #expect(q("1.5")!.value == 2)
        #expect(q("1500u")!.milliValue == 2)
        #expect(q("1.0001")!.value == 2)
    }

    /// Found by the fuzzer (FuzzTests): a 29-digit fraction times Gi fits Int128 before the division by
    /// the fraction's power of ten but exceeds the limit after it; it was kept unclamped, so `q + 0 != q`.
    @Test func aHugeFractionWithABinarySuffixIsHeldAtTheLimit() async {
        let big = q("+9751473063136303698.5451677612Gi")!
        #expect(big.nanos == Quantity.limitNanos)
        #expect(big + .zero == big)
        #expect(q("-9751473063136303698.5451677612Gi")!.nanos == -Quantity.limitNanos)
        #expect(big == q("999999999999999999999999999999Ei"))
    }

    @Test func byteUnitsOnlyWhenAllowed() async {
        #expect(q("1kB") == nil)
        #expect(q("1MB") == nil)
        #expect(q("1GB") == nil)
        #expect(q("1kB", bytes: true) == Quantity(1_000))
        #expect(q("1.5MB", bytes: true) == Quantity(1_500_000))
        #expect(q("2GB", bytes: true) == Quantity(2_000_000_000))
        #expect(q("3TB", bytes: true) == Quantity(3_000_000_000_000))
        #expect(q("10B", bytes: true) == Quantity(10))
        #expect(q("1Gi", bytes: true) == Quantity(1_073_741_824))
    }

    @Test func invalidInputIsRejected() async {
        for s in ["", "abc", "1K", "1ki", "Gi", "1 Gi", "1.2.3", "1e", "--1", "1x"] {
            #expect(q(s) == nil, "\(s) should not parse")
        }
    }

    @Test func textIsKeptForOutput() async throws {
        #expect(q("79Gi")!.description == "79Gi")
        #expect(Quantity(milli: 1500).description == "1500m")
        #expect(Quantity(milli: 2000).description == "2")
        let data = try JSONEncoder().encode(["m": q("1.5Gi")!])
        #expect(String(data: data, encoding: .utf8) == #"{"m":"1.5Gi"}"#)
    }

    @Test func decodesNumbersAndStrings() async throws {
        struct R: Decodable { var a: Quantity; var b: Quantity; var c: Quantity }
        let r = try JSONDecoder().decode(R.self, from: Data(#"{"a": 4, "b": "100m", "c": 0.5}"#.utf8))
        #expect(r.a == Quantity(4))
        #expect(r.b == Quantity(milli: 100))
        #expect(r.c == Quantity(milli: 500))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(R.self, from: Data(#"{"a": "lots", "b": "1", "c": "1"}"#.utf8)) }
    }
}

@Suite struct QuantityIntOrStringTests {
    @Test func intIsUsedAsIs() async throws {
        #expect(try IntOrString.int(7).scaledValue(total: 3, roundUp: true) == 7)
    }

    @Test func percentRoundsUpOrDown() async throws {
        #expect(try IntOrString.string("50%").scaledValue(total: 3, roundUp: true) == 2)
        #expect(try IntOrString.string("50%").scaledValue(total: 3, roundUp: false) == 1)
        #expect(try IntOrString.string("33%").scaledValue(total: 10, roundUp: true) == 4)
        #expect(try IntOrString.string("1%").scaledValue(total: 1, roundUp: true) == 1)
        #expect(try IntOrString.string("100%").scaledValue(total: 7, roundUp: true) == 7)
        #expect(try IntOrString.string("0%").scaledValue(total: 7, roundUp: true) == 0)
        #expect(try IntOrString.string("50%").scaledValue(total: 0, roundUp: true) == 0)
    }

    @Test func stringThatIsNotAPercentIsAnError() async {
        #expect(throws: IntOrString.PercentError.self) { try IntOrString.string("abc").scaledValue(total: 3, roundUp: true) }
        #expect(throws: IntOrString.PercentError.self) { try IntOrString.string("50").scaledValue(total: 3, roundUp: true) }
        #expect(throws: IntOrString.PercentError.self) { try IntOrString.string("x%").scaledValue(total: 3, roundUp: true) }
        do {
            _ = try IntOrString.string("abc").scaledValue(total: 3, roundUp: true)
        } catch {
            // getIntOrPercentValueSafely checks the % suffix before the number.
            #expect(error.description == "invalid value for IntOrString: invalid type: string is not a percentage")
        }
        do {
            _ = try IntOrString.string("x%").scaledValue(total: 3, roundUp: true)
        } catch {
            #expect(error.description == #"invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax"#)
        }
        do {
            _ = try IntOrString.string("50").scaledValue(total: 3, roundUp: true)
        } catch {
            #expect(error.description == "invalid value for IntOrString: invalid type: string is not a percentage")
        }
        do {
            _ = try IntOrString.string("x%").scaledValue(total: 3, roundUp: true)
        } catch {
            #expect(error.description == #"invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax"#)
        }
    }

    @Test func decodesIntOrString() async throws {
        struct S: Decodable { var p: IntOrString }
        #expect(try JSONDecoder().decode(S.self, from: Data(#"{"p": 3}"#.utf8)).p == .int(3))
        #expect(try JSONDecoder().decode(S.self, from: Data(#"{"p": "30%"}"#.utf8)).p == .string("30%"))
    }
}
