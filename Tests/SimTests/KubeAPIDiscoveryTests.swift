import Foundation
import Testing
@testable import Sim
import Engine

/// The resource registry and the discovery documents, against what kube-apiserver and
/// OpenKruise's CRDs publish.
@Suite struct KubeAPIDiscoveryTests {
    @Test func namesKubectlAcceptsResolveToTheUpstreamResources() throws {
        for (name, plural, group) in [("po", "pods", ""), ("pods", "pods", ""), ("Pod", "pods", ""), ("no", "nodes", ""), ("ev", "events", ""),
                                      ("ns", "namespaces", ""), ("jobs.batch", "jobs", "batch"), ("job", "jobs", "batch"),
                                      ("bcj", "broadcastjobs", "apps.kruise.io"), ("acj", "advancedcronjobs", "apps.kruise.io"),
                                      ("broadcastjob.apps.kruise.io", "broadcastjobs", "apps.kruise.io"),
                                      ("advancedcronjobs.apps.kruise.io", "advancedcronjobs", "apps.kruise.io")] {
            let r = try #require(KubeResources.lookup(name), "\(name)")
            #expect(r.plural == plural && r.group == group, "\(name)")
        }
        #expect(KubeResources.lookup("deployments") == nil)
        // Every engine kind is served, with the CRD's versions for the kruise kinds (v1beta1 stored and preferred).
        for k in KnownKind.allCases { #expect(KubeResources.resource(for: k).knownKind == k) }
        #expect(KubeResources.resource(for: .broadcastJob).versions == ["v1beta1", "v1alpha1"])
        #expect(KubeResources.resource(apiVersion: "apps.kruise.io/v1alpha1", kind: "BroadcastJob")?.plural == "broadcastjobs")
        #expect(KubeResources.resource(apiVersion: "batch/v1", kind: "Job")?.groupResource == "jobs.batch")
        #expect(KubeResources.resource(group: "", version: "v1", plural: "pods")?.kind == "Pod")
        #expect(KubeResources.resource(group: "apps.kruise.io", version: "v1", plural: "broadcastjobs") == nil)
        // `kubectl get all` covers pods and jobs (core's category), not the kruise CRDs (which declare none).
        #expect(KubeResources.category("all").map(\.plural) == ["pods", "jobs"])
        #expect(KubeResources.resource(for: .pod).objectPath(namespace: "default", name: "p") == "/api/v1/namespaces/default/pods/p")
        #expect(KubeResources.resource(for: .node).collectionPath(namespace: "default") == "/api/v1/nodes")
        #expect(KubeResources.resource(for: .broadcastJob).collectionPath(namespace: nil) == "/apis/apps.kruise.io/v1beta1/broadcastjobs")
    }

    @Test func coreResourceListHasKubeApiserverShape() throws {
        let doc = try #require(KubeDiscovery.apiResourceList(group: "", version: "v1"))
        #expect(doc["kind"] == "APIResourceList" && doc["groupVersion"] == "v1" && doc["apiVersion"] == nil)
        let resources = try #require(doc["resources"]?.arrayValue)
        let pods = try #require(resources.first { $0["name"] == "pods" })
        #expect(pods.jsonText() == #"{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"]}"#)
        let status = try #require(resources.first { $0["name"] == "pods/status" })
        #expect(status.jsonText() == #"{"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch","update"]}"#)
        #expect(resources.first { $0["name"] == "nodes" }?["namespaced"] == .bool(false))
        #expect(resources.first { $0["name"] == "events" }?["shortNames"] == ["ev"])
        #expect(KubeDiscovery.apiResourceList(group: "apps", version: "v1") == nil)
    }

    @Test func kruiseGroupMatchesTheCRDs() throws {
        let doc = try #require(KubeDiscovery.apiResourceList(group: "apps.kruise.io", version: "v1beta1"))
        #expect(doc["apiVersion"] == "v1" && doc["groupVersion"] == "apps.kruise.io/v1beta1")
        let bcj = try #require(doc["resources"]?.arrayValue?.first { $0["name"] == "broadcastjobs" })
        #expect(bcj.jsonText() == #"{"name":"broadcastjobs","singularName":"broadcastjob","namespaced":true,"kind":"BroadcastJob","verbs":["delete","deletecollection","get","list","patch","create","update","watch"],"shortNames":["bcj"]}"#)
        #expect(KubeDiscovery.apiResourceList(group: "apps.kruise.io", version: "v1alpha1") != nil)
        let groups = try #require(KubeDiscovery.apiGroupList()["groups"]?.arrayValue)
        #expect(groups.map { $0["name"]?.stringValue ?? "" } == ["batch", "apps.kruise.io"])
        #expect(groups[1].jsonText() == #"{"name":"apps.kruise.io","versions":[{"groupVersion":"apps.kruise.io/v1beta1","version":"v1beta1"},{"groupVersion":"apps.kruise.io/v1alpha1","version":"v1alpha1"}],"preferredVersion":{"groupVersion":"apps.kruise.io/v1beta1","version":"v1beta1"}}"#)
        #expect(KubeDiscovery.apiGroup("batch")?["kind"] == "APIGroup")
        #expect(KubeDiscovery.apiGroup("apps") == nil)
        #expect(KubeDiscovery.apiVersions(serverAddress: "127.0.0.1:6443").jsonText()
                == #"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}"#)
    }

    @Test func aggregatedDiscoveryIsChosenByAcceptAndCarriesEveryResource() throws {
        // The Accept header kubectl 1.32 sends for /api and /apis.
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
        #expect(KubeDiscovery.negotiate(accept: kubectl) == .aggregated)
        #expect(KubeDiscovery.negotiate(accept: "application/json") == .plain)
        #expect(KubeDiscovery.negotiate(accept: nil) == .plain)
        #expect(KubeDiscovery.negotiate(accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json") == .plain)
        let apis = KubeDiscovery.aggregated(core: false)
        #expect(apis["kind"] == "APIGroupDiscoveryList" && apis["apiVersion"] == "apidiscovery.k8s.io/v2")
        let kruise = try #require(apis["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "apps.kruise.io" })
        #expect(kruise["versions"]?.arrayValue?.map { $0["version"]?.stringValue ?? "" } == ["v1beta1", "v1alpha1"])
        let acj = try #require(kruise["versions"]?.arrayValue?[0]["resources"]?.arrayValue?.first { $0["resource"] == "advancedcronjobs" })
        #expect(acj["scope"] == "Namespaced" && acj["singularResource"] == "advancedcronjob" && acj["shortNames"] == ["acj"])
        #expect(acj["responseKind"]?.jsonText() == #"{"group":"apps.kruise.io","version":"v1beta1","kind":"AdvancedCronJob"}"#)
        #expect(acj["subresources"]?.arrayValue?.first?["subresource"] == "status")
        let core = KubeDiscovery.aggregated(core: true)
        let nodes = try #require(core["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?.arrayValue?.first { $0["resource"] == "nodes" })
        #expect(nodes["scope"] == "Cluster")
        #expect(core["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["freshness"] == "Current")
    }

    @Test func versionSaysKruiseSimAndParsesAsKubernetes() throws {
        let v = KubeDiscovery.version()
        #expect(v["major"] == "1" && v["minor"] == .string(KubeDiscovery.kubernetesMinor))
        let git = try #require(v["gitVersion"]?.stringValue)
        #expect(git.hasPrefix("v1.\(KubeDiscovery.kubernetesMinor).0+kruise-sim."))
        #expect(v.jsonText() == KubeDiscovery.version().jsonText())
    }

    @Test func namespacesAreTheDefaultFourPlusThoseInUse() throws {
        let t = try #require(Timestamp(rfc3339: "2022-03-24T08:45:00Z"))
        let ns = KubeResources.namespaces(objectNamespaces: ["team-a", "default", ""], created: t)
        #expect(ns.map { $0["metadata"]?["name"]?.stringValue ?? "" } == ["default", "kube-node-lease", "kube-public", "kube-system", "team-a"])
        #expect(ns[0]["status"]?["phase"] == "Active")
        #expect(ns[0]["metadata"]?["uid"] == KubeResources.namespace("default", created: t)["metadata"]?["uid"])
        #expect(ns[0]["metadata"]?["uid"] != ns[1]["metadata"]?["uid"])
    }
}
