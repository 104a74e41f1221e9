import Foundation
import Testing
@testable import Sim
import Engine

/// An engine object from manifest JSON text (test fixtures).
func kubeObject(_ json: String) throws -> APIObject {
    try APIObject.decode(manifest: try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
}

/// `as=Table` responses, against kube-apiserver's printers and the OpenKruise CRDs' printer columns.
@Suite struct KubeAPITableTests {
    static let now = Timestamp(rfc3339: "2022-03-24T08:51:30Z")!

    static func runningPod(name: String = "web-1", restarts: Int = 0) throws -> APIObject {
        try kubeObject("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"default","uid":"u1","resourceVersion":"7",
         "creationTimestamp":"2022-03-24T08:50:00Z","labels":{"app":"web"}},
         "spec":{"nodeName":"worker1","containers":[{"name":"c","image":"busybox"}]},
         "status":{"phase":"Running","podIP":"10.244.1.5","containerStatuses":[{"name":"c","ready":true,"restartCount":\(restarts),
           "state":{"running":{"startedAt":"2022-03-24T08:50:05Z"}},
           "lastState":{"terminated":{"exitCode":1,"finishedAt":"2022-03-24T08:51:00Z"}}}]}}
        """)
    }

    static func columnNames(_ t: JSONValue) -> [String] { t["columnDefinitions"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } ?? [] }
    static func cells(_ t: JSONValue, row: Int = 0) -> [JSONValue] { t["rows"]?.arrayValue?[row]["cells"]?.arrayValue ?? [] }

    @Test func podTableHasKubectlColumnsAndCells() throws {
        let pods = KubeResources.resource(for: .pod)
        let t = try KubeTable.table(pods, objects: [try Self.runningPod(), try Self.runningPod(name: "web-2", restarts: 2)], now: Self.now, resourceVersion: "42")
        #expect(t["kind"] == "Table" && t["apiVersion"] == "meta.k8s.io/v1" && t["metadata"]?["resourceVersion"] == "42")
        #expect(Self.columnNames(t) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(t["columnDefinitions"]?.arrayValue?.map { $0["priority"] ?? .null } == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(t["columnDefinitions"]?.arrayValue?.first?["format"] == "name")
        #expect(Self.cells(t) == ["web-1", "1/1", "Running", "0", "90s", "10.244.1.5", "worker1", "<none>", "<none>"])
        // Restarts say when the last one was, as kubectl 1.22+ prints them.
        #expect(Self.cells(t, row: 1)[3] == "2 (30s ago)")
        // Default includeObject=Metadata: each row carries PartialObjectMetadata (kubectl reads its namespace).
        let obj = try #require(t["rows"]?.arrayValue?[0]["object"])
        #expect(obj["kind"] == "PartialObjectMetadata" && obj["apiVersion"] == "meta.k8s.io/v1")
        #expect(obj["metadata"]?["namespace"] == "default" && obj["metadata"]?["labels"]?["app"] == "web")
        #expect(obj["spec"] == nil)
        // The same metadata as the whole manifest has.
        #expect(obj["metadata"] == (try Self.runningPod().manifest())["metadata"])
        let full = try KubeTable.table(pods, objects: [try Self.runningPod()], now: Self.now, resourceVersion: "42", include: .object)
        #expect(full["rows"]?.arrayValue?[0]["object"]?["spec"]?["nodeName"] == "worker1")
        let none = try KubeTable.table(pods, objects: [try Self.runningPod()], now: Self.now, resourceVersion: "42", include: .none, noHeaders: true)
        #expect(none["rows"]?.arrayValue?[0]["object"] == .null && none["columnDefinitions"] == .null)
    }

    @Test func podStatusFollowsPrintPod() throws {
        func status(_ statusJSON: String, deleting: Bool = false) throws -> String {
            let o = try kubeObject("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"\(deleting ? ",\"deletionTimestamp\":\"2022-03-24T08:51:00Z\"" : "")},
             "spec":{"containers":[{"name":"c"}]},"status":\(statusJSON)}
            """)
            return KubePrinters.cells(o, now: Self.now)[2].stringValue ?? ""
        }
        #expect(try status("{}") == "Pending")
        #expect(try status(#"{"phase":"Pending","containerStatuses":[{"name":"c","restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]}"#) == "ContainerCreating")
        #expect(try status(#"{"phase":"Succeeded","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}"#) == "Completed")
        #expect(try status(#"{"phase":"Failed","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":3}}}]}"#) == "ExitCode:3")
        #expect(try status(#"{"phase":"Running"}"#, deleting: true) == "Terminating")
        // A finished pod being deleted keeps its final status (kubectl 1.27+).
        #expect(try status(#"{"phase":"Succeeded","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}"#, deleting: true) == "Completed")
        #expect(try status(#"{"phase":"Failed","reason":"DeadlineExceeded"}"#) == "DeadlineExceeded")
    }

    @Test func broadcastJobAndAdvancedCronJobUseTheCRDPrinterColumns() throws {
        let bcj = try kubeObject("""
        {"apiVersion":"apps.kruise.io/v1alpha1","kind":"BroadcastJob","metadata":{"name":"b","namespace":"default","creationTimestamp":"2022-03-24T08:50:00Z"},
         "spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
         "status":{"desired":2,"active":1,"succeeded":1,"failed":0}}
        """)
        let r = KubeResources.resource(for: .broadcastJob)
        let t = try KubeTable.table(r, objects: [bcj], now: Self.now, resourceVersion: "9", include: .object, version: "v1alpha1")
        #expect(Self.columnNames(t) == ["Name", "Desired", "Active", "Succeeded", "Failed", "AGE"])
        #expect(t["columnDefinitions"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["string", "integer", "integer", "integer", "integer", "date"])
        #expect(Self.cells(t) == ["b", 2, 1, 1, 0, "90s"])
        #expect(t["rows"]?.arrayValue?[0]["object"]?["apiVersion"] == "apps.kruise.io/v1alpha1")
        // A job the controller has not seen yet has no status: the apiextensions convertor sends null cells.
        var fresh = bcj
        if case .broadcastJob(var b) = fresh { b.status = nil; fresh = .broadcastJob(b) }
        #expect(KubePrinters.cells(fresh, now: Self.now) == ["b", .null, .null, .null, .null, "90s"])

        let acj = try kubeObject("""
        {"apiVersion":"apps.kruise.io/v1beta1","kind":"AdvancedCronJob","metadata":{"name":"a","namespace":"default","creationTimestamp":"2022-03-24T08:45:00Z"},
         "spec":{"schedule":"*/5 * * * *","template":{"broadcastJobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c"}]}}}}}},
         "status":{"type":"BroadcastJob","lastScheduleTime":"2022-03-24T08:50:00Z"}}
        """)
        #expect(KubePrinters.columns(.advancedCronJob).map(\.name) == ["Name", "Schedule", "Type", "LastScheduleTime", "AGE"])
        #expect(KubePrinters.cells(acj, now: Self.now) == ["a", "*/5 * * * *", "BroadcastJob", "90s", "6m30s"])
    }

    @Test func nodesJobsEventsAndNamespaces() throws {
        let node = try kubeObject("""
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"cp","creationTimestamp":"2022-03-24T08:00:00Z","labels":{"node-role.kubernetes.io/control-plane":""}},
         "spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.32.0"}}}
        """)
        #expect(KubePrinters.columns(.node).filter { $0.priority == 0 }.map(\.name) == ["Name", "Status", "Roles", "Age", "Version"])
        #expect(Array(KubePrinters.cells(node, now: Self.now).prefix(5)) == ["cp", "Ready,SchedulingDisabled", "control-plane", "51m", "v1.32.0"])

        let job = try kubeObject("""
        {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"default","creationTimestamp":"2022-03-24T08:50:00Z"},
         "spec":{"parallelism":3,"selector":{"matchLabels":{"b":"2","a":"1"}},"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
         "status":{"startTime":"2022-03-24T08:50:00Z","succeeded":1}}
        """)
        #expect(KubePrinters.columns(.job).map(\.name) == ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"])
        #expect(KubePrinters.cells(job, now: Self.now) == ["j", "Running", "1/1 of 3", "90s", "90s", "c", "busybox", "a=1,b=2"])

        let ev = try kubeObject("""
        {"apiVersion":"v1","kind":"Event","metadata":{"name":"b.1","namespace":"default"},"involvedObject":{"kind":"BroadcastJob","name":"b","namespace":"default"},
         "reason":"JobComplete","message":"Job b is completed","type":"Normal","source":{"component":"broadcastjob-controller"},
         "firstTimestamp":"2022-03-24T08:50:20Z","lastTimestamp":"2022-03-24T08:50:20Z","count":1}
        """)
        #expect(KubePrinters.columns(.event).map(\.name) == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        #expect(KubePrinters.cells(ev, now: Self.now) == ["70s", "Normal", "JobComplete", "broadcastjob/b", "", "broadcastjob-controller", "Job b is completed", "70s", 1, "b.1"])

        let ns = KubeResources.namespaces(objectNamespaces: [], created: Timestamp(rfc3339: "2022-03-24T08:00:00Z")!)
        let nt = try KubeTable.namespaceTable(ns, now: Self.now, resourceVersion: "1")
        #expect(Self.columnNames(nt) == ["Name", "Status", "Age"])
        #expect(Self.cells(nt) == ["default", "Active", "51m"])
    }

    @Test func listsAndWatchEventsHaveTheKindsListShape() throws {
        let r = KubeResources.resource(for: .broadcastJob)
        let bcj = try kubeObject(#"{"apiVersion":"apps.kruise.io/v1beta1","kind":"BroadcastJob","metadata":{"name":"b","namespace":"default"},"spec":{}}"#)
        let list = try r.list([bcj], version: "v1alpha1", resourceVersion: "12")
        #expect(list["kind"] == "BroadcastJobList" && list["apiVersion"] == "apps.kruise.io/v1alpha1" && list["metadata"]?["resourceVersion"] == "12")
        #expect(list["items"]?.arrayValue?.first?["apiVersion"] == "apps.kruise.io/v1alpha1")
        let ev = KubeResource.watchEvent("ADDED", try r.manifest(bcj))
        #expect(ev["type"] == "ADDED" && ev["object"]?["metadata"]?["name"] == "b")
        #expect(r.bookmark(resourceVersion: "13").jsonText() == #"{"type":"BOOKMARK","object":{"kind":"BroadcastJob","apiVersion":"apps.kruise.io/v1beta1","metadata":{"resourceVersion":"13"}}}"#)
        #expect(try KubeResources.resource(for: .pod).list([], resourceVersion: "1")["kind"] == "PodList")
        // The text form is the same document, at either version, with or without unknown fields.
        let owned = try kubeObject("""
        {"apiVersion":"apps.kruise.io/v1alpha1","kind":"BroadcastJob","metadata":{"name":"o","namespace":"default","labels":{"b":"2","a":"1"},
         "ownerReferences":[{"apiVersion":"apps.kruise.io/v1beta1","kind":"AdvancedCronJob","name":"a","uid":"u","controller":true}],
         "finalizers":["f"],"managedFields":[{"manager":"kubectl"}]},"spec":{"paused":true},"status":{"active":1}}
        """)
        for v in ["v1beta1", "v1alpha1"] {
            let text = try r.listText([bcj, owned], version: v, resourceVersion: "12")
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == (try JSONDecoder().decode(JSONValue.self, from: Data(r.list([bcj, owned], version: v, resourceVersion: "12").jsonText().utf8))))
        }
        let meta = try KubeTable.partialObjectMetadata(owned)["metadata"]
        #expect(meta == (try owned.manifest())["metadata"])
    }

    @Test func acceptHeaderAndIncludeObject() throws {
        // What kubectl get sends for human-readable output.
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
        #expect(KubeTable.requestedVersion(accept: kubectl) == "v1")
        #expect(KubeTable.requestedVersion(accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io") == "v1beta1")
        #expect(KubeTable.requestedVersion(accept: "application/json") == nil)
        #expect(KubeTable.requestedVersion(accept: nil) == nil)
        #expect(try KubeTable.IncludeObject(query: nil) == .metadata)
        #expect(try KubeTable.IncludeObject(query: "Object") == .object)
        #expect(throws: KubeSelectorError(message: "unrecognized includeObject value: \"All\"")) { try KubeTable.IncludeObject(query: "All") }
    }
}
