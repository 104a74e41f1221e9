import Foundation
import Testing
@testable import Sim
import Engine

/// Label and field selectors (`-l`, `--field-selector`) and the Status bodies of failed requests.
@Suite struct KubeAPISelectorStatusTests {
    @Test func labelSelectorsParseAndMatchAsLabelsParse() throws {
        let labels = ["app": "web", "tier": "front", "rank": "3"]
        let cases: [(String, Bool)] = [
            ("", true), ("app", true), ("!app", false), ("!gone", true), ("app=web", true), ("app==web", true), ("app=db", false),
            ("app!=db", true), ("gone!=x", true), ("app in (web,db)", true), ("app in (db)", false), ("app notin (db)", true),
            ("gone notin (x)", true), ("gone in (x)", false), ("app=web,tier=front", true), ("app=web, tier=back", false),
            ("rank>2", true), ("rank<3", false), ("example.com/role", false), (" app = web ", true),
        ]
        for (text, want) in cases {
            #expect(try LabelSelectorQuery.parse(text).matches(labels) == want, "\(text)")
        }
        #expect(try LabelSelectorQuery.parse("tier=front,app in (web,db)").description == "app in (db,web),tier=front")
        for bad in ["app=we b", "a b", "!", "app in web", "app in (web", "=web", "-app", "app=-web", "rank>x", "app==w=eb"] {
            #expect(throws: KubeSelectorError.self, "\(bad)") { try LabelSelectorQuery.parse(bad) }
        }
        do { _ = try LabelSelectorQuery.parse("app in web") } catch { #expect(error.message.hasPrefix("unable to parse requirement")) }
    }

    @Test func fieldSelectorsUseEachKindsIndexedFields() throws {
        let pods = KubeResources.resource(for: .pod)
        let pod = try KubeAPITableTests.runningPod()
        #expect(try FieldSelectorQuery.parse("spec.nodeName=worker1", for: pods).matches(pod))
        #expect(try FieldSelectorQuery.parse("spec.nodeName==worker1,status.phase!=Succeeded", for: pods).matches(pod))
        #expect(try !FieldSelectorQuery.parse("spec.nodeName=worker2", for: pods).matches(pod))
        #expect(try FieldSelectorQuery.parse("metadata.name=web-1,metadata.namespace=default", for: pods).matches(pod))
        #expect(try FieldSelectorQuery.parse("", for: pods).matches(pod))
        #expect(try FieldSelectorQuery.parse("status.podIP=10.244.1.5", for: pods).matches(pod))
        #expect(throws: KubeSelectorError(message: "field label not supported: spec.image")) { try FieldSelectorQuery.parse("spec.image=x", for: pods) }
        let bcj = KubeResources.resource(for: .broadcastJob)
        #expect(throws: KubeSelectorError(message: "\"status.phase\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")) {
            try FieldSelectorQuery.parse("status.phase=running", for: bcj)
        }
        #expect(throws: KubeSelectorError.self) { try FieldSelectorQuery.parse("metadata.name", for: pods) }
        // kubectl get events --field-selector involvedObject.kind=BroadcastJob,involvedObject.name=b
        let ev = try kubeObject("""
        {"apiVersion":"v1","kind":"Event","metadata":{"name":"b.1","namespace":"default"},"involvedObject":{"kind":"BroadcastJob","name":"b","namespace":"default"},
         "reason":"JobComplete","message":"done","type":"Normal"}
        """)
        let events = KubeResources.resource(for: .event)
        #expect(try FieldSelectorQuery.parse("involvedObject.kind=BroadcastJob,involvedObject.name=b", for: events).matches(ev))
        #expect(try FieldSelectorQuery.parse("type=Warning", for: events).matches(ev) == false)
        // Escaped commas and equals signs in values.
        #expect(try FieldSelectorQuery.parse(#"reason=a\,b\=c"#, for: events).terms == [.init(field: "reason", value: "a,b=c", negated: false)])
        let nsSel = try FieldSelectorQuery.parse("metadata.name=default", for: KubeResources.lookup("ns")!)
        let ns = KubeResources.namespaces(objectNamespaces: [], created: KubeAPITableTests.now)
        #expect(ns.filter { nsSel.matches(namespace: $0) }.count == 1)
        let nodes = KubeResources.resource(for: .node)
        #expect(try FieldSelectorQuery.parse("spec.unschedulable=false", for: nodes).terms.count == 1)
    }

    @Test func notFoundConflictAndAlreadyExistsHaveKubeApiserverBodies() throws {
        let pods = KubeResources.resource(for: .pod)
        let nf = KubeStatus.notFound(pods, name: "nope")
        #expect(nf.code == 404)
        #expect(nf.body.jsonText() == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}"#)
        let bcj = KubeResources.resource(for: .broadcastJob)
        #expect(KubeStatus.notFound(bcj, name: "b").body.jsonText() == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"broadcastjobs.apps.kruise.io \"b\" not found","reason":"NotFound","details":{"name":"b","group":"apps.kruise.io","kind":"broadcastjobs"},"code":404}"#)
        // The simulator's own errors map to the same bodies.
        #expect(KubeStatus.from(.notFound("broadcastjobs.apps.kruise.io", "b"), resource: bcj, name: "b") == KubeStatus.notFound(bcj, name: "b"))
        #expect(KubeStatus.from(.alreadyExists("pods", "p"), resource: pods, name: "p") == KubeStatus.alreadyExists(pods, name: "p"))
        #expect(KubeStatus.from(.conflict("pods", "p"), resource: pods, name: "p") == KubeStatus.conflict(pods, name: "p"))
        let gone = KubeStatus.expired(requested: "5", oldest: 120)
        #expect(gone.code == 410 && gone.body["reason"] == "Expired" && gone.body["message"] == "too old resource version: 5 (120)")
        let busy = KubeStatus.tooManyRequests(retryAfterSeconds: 2)
        #expect(busy.code == 429 && busy.body["details"]?["retryAfterSeconds"] == 2)
        #expect(KubeStatus.methodNotAllowed(pods, verb: "deletecollection").body["reason"] == "MethodNotAllowed")
        #expect(KubeStatus.badRequest("x").body["code"] == 400)
        let deleted = KubeStatus.deleted(pods, name: "p", uid: "u")
        #expect(deleted["status"] == "Success" && deleted["details"]?["uid"] == "u")
    }

    @Test func admissionRejectionsKeepTheirCausesAndWebhookDenialsTheirMessage() throws {
        // The API server's own validation: 422 Invalid with one cause per field error (kubectl prints them as "* field: message").
        let noContainers = try kubeObject(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[]}}"#)
        var invalid: APIError?
        do { _ = try Admission.admit(noContainers, old: nil, options: AdmissionOptions()) } catch { invalid = error }
        let e = try #require(invalid)
        let s = KubeStatus.from(e, resource: KubeResources.resource(for: .pod), name: "p")
        #expect(s.code == 422 && s.body["reason"] == "Invalid" && s.body["message"]?.stringValue == e.message)
        #expect(s.body["details"]?["kind"] == "Pod" && s.body["details"]?["name"] == "p")
        let cause = try #require(s.body["details"]?["causes"]?.arrayValue?.first)
        #expect(cause.jsonText() == #"{"reason":"FieldValueRequired","message":"Required value","field":"spec.containers"}"#)

        // A kruise webhook's denial: the webhook's code, no reason, kubectl prints "Error from server: admission webhook ... denied the request: ...".
        let badBCJ = try kubeObject("""
        {"apiVersion":"apps.kruise.io/v1beta1","kind":"BroadcastJob","metadata":{"name":"b","namespace":"default"},
         "spec":{"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"busybox"}]}}}}
        """)
        var denial: APIError?
        do { _ = try Admission.admit(badBCJ, old: nil, options: AdmissionOptions()) } catch { denial = error }
        let d = try #require(denial)
        let ds = KubeStatus.from(d, resource: KubeResources.resource(for: .broadcastJob), name: "b")
        #expect(ds.code == 500 && ds.body["reason"] == nil && ds.body["details"] == nil)
        #expect(ds.body["message"]?.stringValue?.hasPrefix("admission webhook \"vbroadcastjob.kb.io\" denied the request: ") == true)
    }
}
