import Foundation
import Testing
@testable import Sim
import Engine

/// Field paths and matchers of `expect` entries.
@Suite struct FieldPathTests {
    static let job: JSONValue = try! APIObject.decode(manifest: parseYAMLDocuments("""
    apiVersion: apps.kruise.io/v1alpha1
    kind: BroadcastJob
    metadata:
      name: j
      annotations: {apps.kruise.io/scheduled-at: "2024-01-01T00:10:00Z"}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: first, image: busybox}, {name: second, image: "minchou/cleaner:v1"}]
    """, file: "j.yaml")[0].json()).manifest()

    func value(_ path: String) throws -> JSONValue? { try FieldPath.parse(path).evaluate(Self.job) }

    @Test func pathsWithIndexesSelectorsAndBracketedKeys() throws {
        #expect(try value("metadata.name") == .string("j"))
        #expect(try value("spec.template.spec.containers[1].image") == .string("minchou/cleaner:v1"))
        #expect(try value("spec.template.spec.containers[name=second].image") == .string("minchou/cleaner:v1"))
        #expect(try value("metadata.annotations[apps.kruise.io/scheduled-at]") == .string("2024-01-01T00:10:00Z"))
        #expect(try value("spec.template.spec.containers[2]") == nil)
        #expect(try value("spec.template.spec.containers[-1]") == nil)
        #expect(try value("spec.template.spec.containers[name=third]") == nil)
        #expect(try value("status.nothing.here") == nil)
        #expect(try FieldPath.parse("a.b[0][k=v].c").segments == [.key("a"), .key("b"), .index(0), .select(key: "k", value: "v"), .key("c")])
    }

    @Test func badPaths() {
        #expect(throws: FieldPath.ParseError.self) { try FieldPath.parse("status.conditions[type=Failed") }
        #expect(throws: FieldPath.ParseError.self) { try FieldPath.parse("a[]") }
        #expect(throws: FieldPath.ParseError.self) { try FieldPath.parse("") }
        #expect(throws: FieldPath.ParseError.self) { try FieldPath.parse("...") }
    }

    @Test func matchersCompareNumbersNumericallyAndTimesAsInstants() {
        #expect(Matcher.eq(.int(2)).matches(.double(2.0)))
        #expect(Matcher.eq(.string("2")).matches(.int(2)))
        #expect(Matcher.eq(.string("True")).matches(.string("True")))
        #expect(!Matcher.eq(.string("True")).matches(.string("true")))
        #expect(Matcher.eq(.bool(true)).matches(.string("true")))
        #expect(Matcher.eq(.string("2024-01-01T00:00:00Z")).matches(.string("2024-01-01T00:00:00.000Z")))
        #expect(Matcher.lt(.string("2024-01-01T00:00:01Z")).matches(.string("2024-01-01T00:00:00.500Z")))
        #expect(Matcher.gt(.int(9)).matches(.int(10)))
        #expect(!Matcher.gt(.int(10)).matches(.int(10)))
        #expect(Matcher.gte(.int(10)).matches(.int(10)))
        #expect(Matcher.lte(.double(0.5)).matches(.double(0.25)))
        #expect(!Matcher.lt(.int(1)).matches(nil))
        #expect(Matcher.ne(.string("running")).matches(.string("completed")))
        #expect(Matcher.ne(.string("running")).matches(nil))
        #expect(Matcher.isIn([.string("a"), .string("b")]).matches(.string("b")))
        #expect(!Matcher.isIn([.string("a")]).matches(nil))
        #expect(Matcher.matches("^hello-[a-z0-9]{5}$").matches(.string("hello-x2b4z")))
        #expect(!Matcher.matches("^hello$").matches(.string("hello-x")))
        #expect(Matcher.exists(false).matches(nil))
        #expect(Matcher.exists(false).matches(.null))
        #expect(Matcher.exists(true).matches(.int(0)))
        #expect(Matcher.eq(.null).matches(nil))
    }

    @Test func matcherDescriptionsReadInReports() {
        #expect(Matcher.eq(.string("completed")).description == "\"completed\"")
        #expect(Matcher.eq(.int(3)).description == "3")
        #expect(Matcher.ne(.int(3)).description == "≠ 3")
        #expect(Matcher.gte(.int(3)).description == "≥ 3")
        #expect(Matcher.exists(false).description == "absent")
        #expect(Matcher.matches("^a").description == "matching /^a/")
    }
}
