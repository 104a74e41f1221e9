import Foundation
import Testing
@testable import Sim
import Engine

/// The OpenAPI documents (what `kubectl apply` checks for server-side field validation and what
/// `kubectl explain` reads) and server-side decoding with `fieldValidation`.
@Suite struct KubeAPIOpenAPITests {
    static func doc(_ path: String) throws -> JSONValue {
        let text = try #require(KubeOpenAPI.v3Text(path: path))
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func rootListsEveryGroupVersionWithAHash() throws {
        let paths = try #require(KubeOpenAPI.v3Root()["paths"]?.objectValue)
        #expect(Array(paths.keys) == ["api/v1", "apis/batch/v1", "apis/apps.kruise.io/v1beta1", "apis/apps.kruise.io/v1alpha1"])
        let url = try #require(paths["apis/apps.kruise.io/v1beta1"]?["serverRelativeURL"]?.stringValue)
        #expect(url.hasPrefix("/openapi/v3/apis/apps.kruise.io/v1beta1?hash=") && url.count > "/openapi/v3/apis/apps.kruise.io/v1beta1?hash=".count + 16)
        // The hash follows the content: the two kruise versions differ.
        #expect(url != paths["apis/apps.kruise.io/v1alpha1"]?["serverRelativeURL"]?.stringValue)
        #expect(KubeOpenAPI.v3Text(path: url) != nil)
        #expect(KubeOpenAPI.v3Text(path: "apis/apps/v1") == nil)
        // By the path after /openapi/, as a router splits it.
        #expect(KubeOpenAPI.documentText(path: ["v3", "apis", "apps.kruise.io", "v1beta1"]) == KubeOpenAPI.v3Text(path: "apis/apps.kruise.io/v1beta1"))
        #expect(KubeOpenAPI.documentText(path: ["v3"]) == KubeOpenAPI.v3Root().jsonText())
        #expect(KubeOpenAPI.documentText(path: ["v2"])?.hasPrefix(#"{"swagger":"2.0""#) == true)
        #expect(KubeOpenAPI.documentText(path: ["v3", "apis", "apps", "v1"]) == nil && KubeOpenAPI.documentText(path: ["v1"]) == nil)
    }

    /// What kubectl's `queryParamVerifierV3` looks for before it sends `fieldValidation=Strict`:
    /// a PATCH operation tagged with the kind's GVK that lists the query parameter.
    @Test func patchOperationsAdvertiseFieldValidationForEachKind() throws {
        for (path, group, version, kind) in [("api/v1", "", "v1", "Pod"), ("api/v1", "", "v1", "Node"), ("apis/batch/v1", "batch", "v1", "Job"),
                                             ("apis/apps.kruise.io/v1beta1", "apps.kruise.io", "v1beta1", "BroadcastJob"),
                                             ("apis/apps.kruise.io/v1alpha1", "apps.kruise.io", "v1alpha1", "AdvancedCronJob")] {
            let d = try Self.doc(path)
            #expect(d["openapi"] == "3.0.0")
            let pathItems: [JSONValue] = d["paths"]?.objectValue.map { Array($0.values) } ?? []
            let want = JSONValue.object(["group": .string(group), "kind": .string(kind), "version": .string(version)])
            let mine: [JSONValue] = pathItems.compactMap { $0["patch"] }.filter { $0["x-kubernetes-group-version-kind"] == want }
            #expect(!mine.isEmpty, "\(kind)")
            for op in mine {
                let params: [JSONValue] = op["parameters"]?.arrayValue ?? []
                let found = params.contains { p in p["name"] == "fieldValidation" && p["in"] == "query" }
                #expect(found, "\(kind)")
            }
        }
        let bcj = try Self.doc("apis/apps.kruise.io/v1beta1")["paths"]?["/apis/apps.kruise.io/v1beta1/namespaces/{namespace}/broadcastjobs/{name}"]?["patch"]
        let types = bcj?["requestBody"]?["content"]?.objectValue?.keys.map { $0 } ?? []
        #expect(types.contains("application/apply-patch+yaml") && !types.contains("application/strategic-merge-patch+json"))
    }

    /// What `kubectl explain bcj.spec` and `kubectl explain pod.spec.containers` walk.
    @Test func schemasCarryTheKindsFieldsTypesAndCRDDescriptions() throws {
        let schemas = try #require(Self.doc("apis/apps.kruise.io/v1beta1")["components"]?["schemas"]?.objectValue)
        let root = try #require(schemas.values.first { $0["x-kubernetes-group-version-kind"]?.arrayValue?.first?["kind"] == "BroadcastJob" })
        #expect(root["description"] == "BroadcastJob is the Schema for the broadcastjobs API")
        let spec = try #require(root["properties"]?["spec"])
        #expect(spec["type"] == "object" && spec["description"] == "BroadcastJobSpec defines the desired state of BroadcastJob")
        #expect(spec["properties"]?["paused"]?["type"] == "boolean")
        #expect(spec["properties"]?["parallelism"]?["x-kubernetes-int-or-string"] == true)
        #expect(spec["properties"]?["completionPolicy"]?["properties"]?["ttlSecondsAfterFinished"]?["type"] == "integer")
        #expect(spec["properties"]?["template"]?["x-kubernetes-preserve-unknown-fields"] == true)
        #expect(root["properties"]?["status"]?["properties"]?["startTime"]?["format"] == "date-time")
        #expect(root["properties"]?["metadata"]?["$ref"] == "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]?["properties"]?["labels"]?["additionalProperties"]?["type"] == "string")

        let core = try #require(Self.doc("api/v1")["components"]?["schemas"]?.objectValue)
        let containers = try #require(core["io.k8s.api.core.v1.PodSpec"]?["properties"]?["containers"])
        #expect(containers["type"] == "array" && containers["items"]?["$ref"] == "#/components/schemas/io.k8s.api.core.v1.Container")
        #expect(containers["x-kubernetes-patch-merge-key"] == "name" && containers["x-kubernetes-list-map-keys"] == ["name"])
        #expect(core["io.k8s.api.core.v1.PodSpec"]?["properties"]?["tolerations"]?["x-kubernetes-list-type"] == "atomic")
        #expect(core["io.k8s.api.core.v1.Container"]?["properties"]?["image"]?["type"] == "string")
        #expect(core["io.k8s.api.core.v1.Namespace"]?["x-kubernetes-group-version-kind"]?.arrayValue?.first?["kind"] == "Namespace")
        // Every $ref resolves.
        for (path, d) in [("api/v1", core), ("apis/apps.kruise.io/v1beta1", schemas)] {
            let text = try #require(KubeOpenAPI.v3Text(path: path))
            var rest = Substring(text)
            while let r = rest.range(of: "\"$ref\":\"#/components/schemas/") {
                let tail = rest[r.upperBound...]
                let name = String(tail.prefix { $0 != "\"" })
                #expect(d[name] != nil, "\(path): \(name)")
                rest = tail
            }
        }
    }

    @Test func v2IsSwaggerJSONButKubectlAsksForProtobuf() throws {
        let v2 = KubeOpenAPI.v2()
        #expect(v2["swagger"] == "2.0" && v2["definitions"]?["io.kruise.apps.v1beta1.BroadcastJob"] != nil)
        #expect(v2["paths"]?["/api/v1/namespaces/{namespace}/pods/{name}"]?["patch"]?["parameters"]?.arrayValue?.contains { $0["name"] == "fieldValidation" } == true)
        #expect(!KubeOpenAPI.v2AcceptsJSON("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"))
        #expect(KubeOpenAPI.v2AcceptsJSON("application/json, */*"))
        #expect(KubeOpenAPI.v2AcceptsJSON(nil))
    }

    @Test func decodingValidatesFieldsAsTheDirectiveSays() throws {
        let body = try KubeAPIPatchTests.json("""
        {"apiVersion":"apps.kruise.io/v1beta1","kind":"BroadcastJob","metadata":{"name":"b"},
         "spec":{"paralelism":2,"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}},"completionPolicy":{"type":"Always","ttl":5}}}
        """)
        let r = KubeResources.resource(for: .broadcastJob)
        do {
            _ = try KubeDecode.object(body, resource: r, version: "v1beta1", validation: .strict)
            Issue.record("unknown fields accepted under Strict")
        } catch {
            #expect(error.status.code == 400)
            #expect(error.description == "BroadcastJob in version \"v1beta1\" cannot be handled as a BroadcastJob: strict decoding error: unknown field \"spec.completionPolicy.ttl\", unknown field \"spec.paralelism\"")
        }
        let warned = try KubeDecode.object(body, resource: r, version: "v1beta1", validation: .warn)
        #expect(warned.warnings == ["unknown field \"spec.completionPolicy.ttl\"", "unknown field \"spec.paralelism\""])
        #expect(try warned.object.manifest()["spec"]?["paralelism"] == nil)
        #expect(try KubeDecode.object(body, resource: r, version: "v1beta1", validation: .ignore).warnings.isEmpty)
        #expect(try KubeDecode.validation(query: nil) == .warn)
        #expect(try KubeDecode.validation(query: "Strict") == .strict)
        #expect(throws: KubeSelectorError.self) { try KubeDecode.validation(query: "strict") }
        // A body of another kind, or one that does not decode, is a 400.
        let pod = try KubeAPIPatchTests.pod()
        do { _ = try KubeDecode.object(pod, resource: r, version: "v1beta1", validation: .strict); Issue.record("pod accepted as bcj") } catch {
            #expect(error.status.code == 400)
        }
        let wrongType = try KubeAPIPatchTests.json(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"x"}}"#)
        do { _ = try KubeDecode.object(wrongType, resource: KubeResources.resource(for: .pod), version: "v1", validation: .strict); Issue.record("bad type accepted") } catch {
            #expect(error.status.code == 400 && error.description.hasPrefix("Pod in version \"v1\" cannot be handled as a Pod: "))
        }
        // apiVersion and kind may be left out; v1alpha1 bodies are served by the same resource.
        let bare = try KubeAPIPatchTests.json(#"{"metadata":{"name":"b"},"spec":{"template":{"spec":{"containers":[{"name":"c"}]}}}}"#)
        #expect(try KubeDecode.object(bare, resource: r, version: "v1alpha1", validation: .strict).object.kind == .broadcastJob)
    }
}
