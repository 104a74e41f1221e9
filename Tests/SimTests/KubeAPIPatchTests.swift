import Foundation
import Testing
@testable import Sim
import Engine

/// `kubectl patch --type merge|json|strategic` and `kubectl apply [--server-side]` bodies applied
/// as kube-apiserver applies them.
@Suite struct KubeAPIPatchTests {
    static func json(_ s: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(s.utf8)) }
    static let pods = KubeResources.resource(for: .pod)
    static let bcjs = KubeResources.resource(for: .broadcastJob)

    static func pod() throws -> JSONValue {
        try json("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"app":"web","tier":"front"},"finalizers":["a"]},
         "spec":{"containers":[{"name":"app","image":"nginx:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
                               {"name":"sidecar","image":"envoy:1"}],
                 "tolerations":[{"key":"x","operator":"Exists"}]}}
        """)
    }

    @Test func mergePatchSetsAndDeletes() throws {
        let out = try KubePatch.apply(.merge, patch: try Self.json(#"{"metadata":{"labels":{"tier":null,"v":"2"}},"spec":{"paused":true}}"#),
                                      to: try Self.pod(), resource: Self.pods)
        #expect(out["metadata"]?["labels"] == .object(["app": "web", "v": "2"]))
        #expect(out["spec"]?["paused"] == true)
        #expect(out["spec"]?["containers"]?.arrayValue?.count == 2)
        #expect(throws: KubePatchError.self) { try KubePatch.apply(.merge, patch: ["x"], to: try Self.pod(), resource: Self.pods) }
    }

    @Test func jsonPatchOperations() throws {
        let patch = try Self.json("""
        [{"op":"test","path":"/spec/containers/0/name","value":"app"},
         {"op":"replace","path":"/spec/containers/0/image","value":"nginx:2"},
         {"op":"add","path":"/metadata/labels/example.com~1role","value":"x"},
         {"op":"add","path":"/metadata/finalizers/-","value":"b"},
         {"op":"remove","path":"/metadata/labels/tier"},
         {"op":"copy","from":"/metadata/labels/app","path":"/metadata/labels/copied"},
         {"op":"move","from":"/spec/tolerations","path":"/spec/moved"}]
        """)
        let out = try KubePatch.apply(.json, patch: patch, to: try Self.pod(), resource: Self.pods)
        #expect(out["spec"]?["containers"]?.arrayValue?[0]["image"] == "nginx:2")
        #expect(out["metadata"]?["labels"] == .object(["app": "web", "example.com/role": "x", "copied": "web"]))
        #expect(out["metadata"]?["finalizers"] == ["a", "b"])
        #expect(out["spec"]?["tolerations"] == nil && out["spec"]?["moved"]?.arrayValue?.count == 1)
        // A failing test or a missing path rejects the whole patch with 422.
        for bad in [#"[{"op":"test","path":"/spec/containers/0/name","value":"other"}]"#,
                    #"[{"op":"replace","path":"/spec/nope/x","value":1}]"#,
                    #"[{"op":"remove","path":"/metadata/labels/missing"}]"#] {
            do { _ = try KubePatch.apply(.json, patch: try Self.json(bad), to: try Self.pod(), resource: Self.pods); Issue.record("\(bad) applied") } catch {
                #expect((error as? KubePatchError)?.status.code == 422, "\(bad)")
            }
        }
        do { _ = try KubePatch.apply(.json, patch: ["op"], to: try Self.pod(), resource: Self.pods) } catch { #expect((error as? KubePatchError)?.status.code == 400) }
    }

    @Test func strategicMergeMergesListsByTheirKeys() throws {
        // kubectl set image / kubectl patch: one container's image, the other container untouched; env merged by name.
        let patch = try Self.json("""
        {"metadata":{"finalizers":["b"]},
         "spec":{"containers":[{"name":"app","image":"nginx:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}],
                 "tolerations":[{"key":"y","operator":"Exists"}]}}
        """)
        let out = try KubePatch.apply(.strategicMerge, patch: patch, to: try Self.pod(), resource: Self.pods)
        let cs = try #require(out["spec"]?["containers"]?.arrayValue)
        #expect(cs.map { $0["name"] ?? .null } == ["app", "sidecar"])
        #expect(cs[0]["image"] == "nginx:2" && cs[1]["image"] == "envoy:1")
        #expect(cs[0]["env"]?.arrayValue?.map { $0["value"] ?? .null } == ["1", "3", "4"])
        // tolerations have no merge key upstream: replaced whole. Finalizers merge as a set.
        #expect(out["spec"]?["tolerations"]?.arrayValue?.map { $0["key"] ?? .null } == ["y"])
        #expect(out["metadata"]?["finalizers"] == ["a", "b"])

        // Directives kubectl's three-way patch uses.
        let directives = try Self.json("""
        {"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]},
         "spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"}],
                 "containers":[{"name":"app","env":[{"name":"A","$patch":"delete"}]}]}}
        """)
        let d = try KubePatch.apply(.strategicMerge, patch: directives, to: try Self.pod(), resource: Self.pods)
        #expect(d["spec"]?["containers"]?.arrayValue?.map { $0["name"] ?? .null } == ["sidecar", "app"])
        #expect(d["spec"]?["containers"]?.arrayValue?[1]["env"]?.arrayValue?.map { $0["name"] ?? .null } == ["B"])
        #expect(d["metadata"]?["finalizers"] == [])
        let replace = try KubePatch.apply(.strategicMerge, patch: try Self.json(#"{"metadata":{"labels":{"$patch":"replace","only":"this"}}}"#),
                                          to: try Self.pod(), resource: Self.pods)
        #expect(replace["metadata"]?["labels"] == .object(["only": "this"]))
        // $retainKeys (volumes, strategies): keys not listed go, those listed merge.
        let retained = try KubePatch.apply(.strategicMerge, patch: try Self.json(#"{"metadata":{"labels":{"$retainKeys":["app","new"],"new":"1"}}}"#),
                                           to: try Self.pod(), resource: Self.pods)
        #expect(retained["metadata"]?["labels"] == .object(["app": "web", "new": "1"]))
        let dropSidecar = try KubePatch.apply(.strategicMerge, patch: try Self.json(#"{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}"#),
                                              to: try Self.pod(), resource: Self.pods)
        #expect(dropSidecar["spec"]?["containers"]?.arrayValue?.count == 1)
        // Custom resources take no strategic merge patch (kubectl falls back to a merge patch for them).
        do {
            _ = try KubePatch.apply(.strategicMerge, patch: try Self.json(#"{"spec":{"paused":true}}"#), to: try Self.pod(), resource: Self.bcjs)
            Issue.record("strategic merge patch accepted for a custom resource")
        } catch { #expect((error as? KubePatchError)?.status.code == 415) }
    }

    @Test func bodiesParseFromJSONAndYAML() throws {
        #expect(KubePatch.PatchType(contentType: "application/merge-patch+json; charset=utf-8") == .merge)
        #expect(KubePatch.PatchType(contentType: "application/apply-patch+yaml") == .apply)
        #expect(KubePatch.PatchType(contentType: "text/plain") == nil)
        let y = try KubePatch.parseBody(Data("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  priority: 3\n".utf8), contentType: "application/apply-patch+yaml")
        #expect(y["metadata"]?["name"] == "p" && y["spec"]?["priority"] == 3)
        let j = try KubePatch.parseBody(Data(#"{"kind":"Pod"}"#.utf8), contentType: "application/json")
        #expect(j["kind"] == "Pod")
        do { _ = try KubePatch.parseBody(Data("{".utf8), contentType: nil); Issue.record("bad JSON parsed") } catch { #expect(error.status.code == 400) }
        do { _ = try KubePatch.parseBody(Data("a: [".utf8), contentType: "application/yaml"); Issue.record("bad YAML parsed") } catch { #expect(error.status.code == 400) }
    }

    static let now = Timestamp(rfc3339: "2022-03-24T08:50:00Z")!

    @Test func onePatchRequestByContentType() throws {
        let body = Array(#"{"spec":{"containers":[{"name":"sidecar","image":"envoy:2"}]}}"#.utf8)
        let smp = try KubePatch.apply(contentType: "application/strategic-merge-patch+json", patch: body, to: try Self.pod(), resource: Self.pods,
                                      name: "p", fieldManager: nil, force: false, now: Self.now)
        #expect(smp["spec"]?["containers"]?.arrayValue?.map { $0["image"] ?? .null } == ["nginx:1", "envoy:2"])
        let merge = try KubePatch.apply(contentType: "application/merge-patch+json", patch: body, to: try Self.pod(), resource: Self.pods,
                                        name: "p", fieldManager: nil, force: false, now: Self.now)
        #expect(merge["spec"]?["containers"]?.arrayValue?.count == 1)
        // Server-side apply of a missing object returns the object to create; other patches of it are 404.
        let yaml = Array("apiVersion: apps.kruise.io/v1beta1\nkind: BroadcastJob\nmetadata:\n  name: b\nspec:\n  parallelism: 1\n".utf8)
        let made = try KubePatch.apply(contentType: "application/apply-patch+yaml", patch: yaml, to: nil, resource: Self.bcjs, name: "b",
                                       fieldManager: "kubectl", force: false, now: Self.now)
        #expect(made["spec"]?["parallelism"] == 1 && made["metadata"]?["managedFields"] != nil)
        do {
            _ = try KubePatch.apply(contentType: "application/merge-patch+json", patch: body, to: nil, resource: Self.bcjs, name: "b",
                                    fieldManager: nil, force: false, now: Self.now)
            Issue.record("patched a missing object")
        } catch { #expect(error.status.code == 404) }
        do {
            _ = try KubePatch.apply(contentType: "text/plain", patch: body, to: try Self.pod(), resource: Self.pods, name: "p",
                                    fieldManager: nil, force: false, now: Self.now)
            Issue.record("accepted text/plain")
        } catch { #expect((error as? KubePatchError)?.status.code == 415) }
    }

    static func bcjConfig(parallelism: Int, labels: String = #""app":"clean""#) throws -> JSONValue {
        try json("""
        {"apiVersion":"apps.kruise.io/v1beta1","kind":"BroadcastJob","metadata":{"name":"b","namespace":"default","labels":{\(labels)}},
         "spec":{"parallelism":\(parallelism),"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
        """)
    }

    @Test func serverSideApplyCreatesMergesAndForgetsWhatItNoLongerApplies() throws {
        let first = try KubeApply.apply(try Self.bcjConfig(parallelism: 1, labels: #""app":"clean","team":"a""#), to: nil, resource: Self.bcjs,
                                        fieldManager: "kubectl", now: Self.now, force: false)
        #expect(first.created)
        let mf = try #require(first.object["metadata"]?["managedFields"]?.arrayValue?.first)
        #expect(mf["manager"] == "kubectl" && mf["operation"] == "Apply" && mf["fieldsType"] == "FieldsV1" && mf["time"] == "2022-03-24T08:50:00Z")
        #expect(mf["fieldsV1"]?["f:metadata"]?["f:labels"]?["f:team"] == .object([:]))
        #expect(mf["fieldsV1"]?["f:spec"]?["f:parallelism"] == .object([:]))
        // The stored object gains what the server and controllers set (defaults, status).
        var live = first.object
        live = live.mergePatched(with: try Self.json(#"{"spec":{"completionPolicy":{"type":"Always"}},"status":{"active":1}}"#))
        // Re-applied without the team label and with parallelism 2: the label goes, parallelism changes, the defaults stay.
        let second = try KubeApply.apply(try Self.bcjConfig(parallelism: 2), to: live, resource: Self.bcjs, fieldManager: "kubectl", now: Self.now, force: false)
        #expect(!second.created)
        #expect(second.object["metadata"]?["labels"] == .object(["app": "clean"]))
        #expect(second.object["spec"]?["parallelism"] == 2)
        #expect(second.object["spec"]?["completionPolicy"]?["type"] == "Always" && second.object["status"]?["active"] == 1)
        #expect(second.object["metadata"]?["managedFields"]?.arrayValue?.count == 1)
    }

    @Test func serverSideApplyConflictsBetweenManagersUnlessForced() throws {
        let live = try KubeApply.apply(try Self.bcjConfig(parallelism: 1), to: nil, resource: Self.bcjs, fieldManager: "kubectl", now: Self.now, force: false).object
        // Another manager applying the same value shares the field; a different value conflicts.
        let same = try KubeApply.apply(try Self.bcjConfig(parallelism: 1), to: live, resource: Self.bcjs, fieldManager: "ci", now: Self.now, force: false)
        #expect(same.object["metadata"]?["managedFields"]?.arrayValue?.count == 2)
        do {
            _ = try KubeApply.apply(try Self.bcjConfig(parallelism: 5), to: live, resource: Self.bcjs, fieldManager: "ci", now: Self.now, force: false)
            Issue.record("conflicting apply accepted")
        } catch {
            #expect((error as? KubePatchError)?.status.code == 409 && (error as? KubePatchError)?.status.body["reason"] == "Conflict")
            #expect((error as? KubePatchError)?.description == "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.parallelism")
        }
        // --force-conflicts takes the field over: kubectl no longer owns it.
        let forced = try KubeApply.apply(try Self.bcjConfig(parallelism: 5), to: live, resource: Self.bcjs, fieldManager: "ci", now: Self.now, force: true)
        #expect(forced.object["spec"]?["parallelism"] == 5)
        let kubectl = try #require(forced.object["metadata"]?["managedFields"]?.arrayValue?.first { $0["manager"] == "kubectl" })
        #expect(kubectl["fieldsV1"]?["f:spec"]?["f:parallelism"] == nil)
        // Requests kubectl would never send are refused with 400.
        for (cfg, manager) in [(try Self.bcjConfig(parallelism: 1), nil as String?), (try Self.pod(), "kubectl"),
                               (try Self.json(#"{"apiVersion":"apps.kruise.io/v1beta1","kind":"BroadcastJob","metadata":{}}"#), "kubectl")] {
            do { _ = try KubeApply.apply(cfg, to: nil, resource: Self.bcjs, fieldManager: manager, now: Self.now, force: false); Issue.record("accepted") } catch {
                #expect(error.status.code == 400)
            }
        }
    }

    @Test func appliedObjectDecodesAndKeepsItsManagedFields() throws {
        let created = try KubeApply.apply(try Self.bcjConfig(parallelism: 1), to: nil, resource: Self.bcjs, fieldManager: "kubectl", now: Self.now, force: false)
        let obj = try APIObject.decode(manifest: created.object)
        #expect(obj.kind == .broadcastJob)
        #expect(try obj.manifest()["metadata"]?["managedFields"]?.arrayValue?.count == 1)
        #expect(ManifestSchema.unknownFields(of: obj).isEmpty)
    }
}
