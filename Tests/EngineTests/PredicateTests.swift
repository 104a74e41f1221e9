import Testing
@testable import Engine

// Reference: shared/reference/broadcastjob.md 3.3 (checkNodeFitness), in predicate order.

private func node(_ name: String = "n1", labels: [String: String] = [:], taints: [Taint] = [], unschedulable: Bool = false,
                  allocatable: ResourceList? = ["cpu": Quantity(4), "memory": Quantity(parsing: "16Gi")!, "pods": Quantity(110)]) -> Node {
    Node(metadata: ObjectMeta(name: name, labels: labels),
         spec: NodeSpec(unschedulable: unschedulable ? true : nil, taints: taints),
         status: NodeStatus(allocatable: allocatable))
}

private func pod(nodeName: String? = nil, selector: [String: String]? = nil, terms: [NodeSelectorTerm]? = nil,
                 tolerations: [Toleration]? = nil, requests: ResourceList? = nil) -> PodSpec {
    var c = Container(name: "c")
    if let requests { c.resources = ResourceRequirements(requests: requests) }
    var s = PodSpec(containers: [c], restartPolicy: "Never")
    s.nodeName = nodeName
    s.nodeSelector = selector
    s.tolerations = tolerations
    if let terms { s.affinity = Affinity(nodeAffinity: NodeAffinity(required: NodeSelector(nodeSelectorTerms: terms))) }
    return s
}

private func expr(_ key: String, _ op: String, _ values: [String]? = nil) -> NodeSelectorTerm {
    NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: key, operator: op, values: values)])
}

private func field(_ op: String, _ values: [String]) -> NodeSelectorTerm {
    NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: op, values: values)])
}

@Suite struct NodeNamePredicateTests {
    @Test func nodeNameMustMatchWhenSet() async {
        #expect(NodeFitness.check(pod(nodeName: "other"), node: node("n1")) == .nodeName)
        #expect(NodeFitness.check(pod(nodeName: "n1"), node: node("n1")) == nil)
        #expect(NodeFitness.check(pod(nodeName: ""), node: node("n1")) == nil)
        #expect(NodeFitness.check(pod(), node: node("n1")) == nil)
        #expect(FitFailure.nodeName.description == "node(s) didn't match the requested node name")
    }
}

@Suite struct NodeAffinityPredicateTests {
    let labelled = node("n1", labels: ["zone": "a", "size": "8", "gpu": "yes"])

    @Test func nodeSelectorNeedsEveryLabel() async {
        #expect(NodeFitness.check(pod(selector: ["zone": "a"]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(selector: ["zone": "a", "gpu": "yes"]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(selector: ["zone": "b"]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(selector: ["zone": "a", "missing": "x"]), node: labelled) == .nodeAffinity)
        #expect(FitFailure.nodeAffinity.description == "node(s) didn't match Pod's node affinity/selector")
    }

    @Test func emptyTermsMatchNothing() async {
        #expect(NodeFitness.check(pod(terms: []), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [NodeSelectorTerm()]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [NodeSelectorTerm(matchExpressions: [], matchFields: [])]), node: labelled) == .nodeAffinity)
        // Terms are ORed: an empty term next to a matching one still lets the pod fit.
        #expect(NodeFitness.check(pod(terms: [NodeSelectorTerm(), expr("zone", "In", ["a"])]), node: labelled) == nil)
    }

    @Test func inAndNotIn() async {
        #expect(NodeFitness.check(pod(terms: [expr("zone", "In", ["a", "b"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("zone", "In", ["b"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("missing", "In", ["a"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("zone", "NotIn", ["b"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("zone", "NotIn", ["a"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("missing", "NotIn", ["a"])]), node: labelled) == nil)
        // In / NotIn without values is a parse error: the term does not match.
        #expect(NodeFitness.check(pod(terms: [expr("zone", "In", [])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("missing", "NotIn")]), node: labelled) == .nodeAffinity)
    }

    @Test func existsAndDoesNotExist() async {
        #expect(NodeFitness.check(pod(terms: [expr("gpu", "Exists")]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("tpu", "Exists")]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("tpu", "DoesNotExist")]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("gpu", "DoesNotExist")]), node: labelled) == .nodeAffinity)
        // Values are not allowed with Exists / DoesNotExist.
        #expect(NodeFitness.check(pod(terms: [expr("gpu", "Exists", ["yes"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("tpu", "DoesNotExist", ["x"])]), node: labelled) == .nodeAffinity)
    }

    @Test func gtAndLtCompareIntegers() async {
        #expect(NodeFitness.check(pod(terms: [expr("size", "Gt", ["4"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Gt", ["8"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Lt", ["9"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Lt", ["8"])]), node: labelled) == .nodeAffinity)
        // A missing or non-numeric label does not match; a non-numeric or multiple bound is a parse error.
        #expect(NodeFitness.check(pod(terms: [expr("missing", "Gt", ["1"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("zone", "Gt", ["1"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Gt", ["x"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Lt", ["10", "20"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [expr("size", "Lt", [])]), node: labelled) == .nodeAffinity)
    }

    @Test func unknownOperatorDoesNotMatch() async {
        #expect(NodeFitness.check(pod(terms: [expr("zone", "Equals", ["a"])]), node: labelled) == .nodeAffinity)
    }

    @Test func matchFieldsOnMetadataName() async {
        #expect(NodeFitness.check(pod(terms: [field("In", ["n1"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [field("In", ["n2"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [field("NotIn", ["n2"])]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [field("NotIn", ["n1"])]), node: labelled) == .nodeAffinity)
        // Exactly one value is allowed; other operators are not supported.
        #expect(NodeFitness.check(pod(terms: [field("In", ["n1", "n2"])]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [field("Exists", [])]), node: labelled) == .nodeAffinity)
    }

    @Test func expressionsAndFieldsOfOneTermAreANDed() async {
        let both = NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["a"])],
                                    matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: ["n1"])])
        #expect(NodeFitness.check(pod(terms: [both]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [both]), node: node("n1", labels: ["zone": "b"])) == .nodeAffinity)
        #expect(NodeFitness.check(pod(terms: [both]), node: node("n2", labels: ["zone": "a"])) == .nodeAffinity)
        let twoExprs = NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["a"]),
                                                          NodeSelectorRequirement(key: "gpu", operator: "DoesNotExist")])
        #expect(NodeFitness.check(pod(terms: [twoExprs]), node: labelled) == .nodeAffinity)
    }

    @Test func termsAreORed() async {
        #expect(NodeFitness.check(pod(terms: [expr("zone", "In", ["b"]), expr("gpu", "Exists")]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(terms: [expr("zone", "In", ["b"]), expr("tpu", "Exists")]), node: labelled) == .nodeAffinity)
    }

    @Test func nodeSelectorAndAffinityMustBothMatch() async {
        #expect(NodeFitness.check(pod(selector: ["zone": "a"], terms: [expr("gpu", "Exists")]), node: labelled) == nil)
        #expect(NodeFitness.check(pod(selector: ["zone": "b"], terms: [expr("gpu", "Exists")]), node: labelled) == .nodeAffinity)
        #expect(NodeFitness.check(pod(selector: ["zone": "a"], terms: [expr("tpu", "Exists")]), node: labelled) == .nodeAffinity)
    }

    @Test func preferredTermsAreIgnored() async {
        var s = pod()
        var na = NodeAffinity()
        na.preferredDuringSchedulingIgnoredDuringExecution = [PreferredSchedulingTerm(weight: 100, preference: expr("zone", "In", ["zz"]))]
        s.affinity = Affinity(nodeAffinity: na)
        #expect(NodeFitness.check(s, node: labelled) == nil)
    }
}

@Suite struct TaintPredicateTests {
    let noSchedule = Taint(key: "dedicated", value: "db", effect: Taint.noSchedule)
    let noExecute = Taint(key: "dedicated", value: "db", effect: Taint.noExecute)

    @Test func noScheduleAndNoExecuteTaintsNeedAToleration() async {
        #expect(NodeFitness.check(pod(), node: node(taints: [noSchedule])) == .untoleratedTaint(noSchedule))
        #expect(NodeFitness.check(pod(), node: node(taints: [noExecute])) == .untoleratedTaint(noExecute))
        #expect(FitFailure.untoleratedTaint(noSchedule).description == "node(s) had untolerated taint {dedicated: db}")
        #expect(FitFailure.untoleratedTaint(Taint(key: "k", effect: Taint.noSchedule)).description == "node(s) had untolerated taint {k: }")
    }

    @Test func preferNoScheduleIsIgnored() async {
        #expect(NodeFitness.check(pod(), node: node(taints: [Taint(key: "k", effect: Taint.preferNoSchedule)])) == nil)
    }

    @Test func equalTolerationNeedsTheSameValue() async {
        let eq = Toleration(key: "dedicated", operator: "Equal", value: "db", effect: Taint.noSchedule)
        #expect(NodeFitness.check(pod(tolerations: [eq]), node: node(taints: [noSchedule])) == nil)
        let other = Toleration(key: "dedicated", operator: "Equal", value: "web", effect: Taint.noSchedule)
        #expect(NodeFitness.check(pod(tolerations: [other]), node: node(taints: [noSchedule])) == .untoleratedTaint(noSchedule))
        // An empty operator means Equal.
        let implicit = Toleration(key: "dedicated", value: "db")
        #expect(NodeFitness.check(pod(tolerations: [implicit]), node: node(taints: [noSchedule])) == nil)
        #expect(NodeFitness.check(pod(tolerations: [Toleration(key: "dedicated")]), node: node(taints: [noSchedule])) == .untoleratedTaint(noSchedule))
    }

    @Test func existsTolerationIgnoresTheValue() async {
        let ex = Toleration(key: "dedicated", operator: "Exists")
        #expect(NodeFitness.check(pod(tolerations: [ex]), node: node(taints: [noSchedule, noExecute])) == nil)
        let wrongKey = Toleration(key: "other", operator: "Exists")
        #expect(NodeFitness.check(pod(tolerations: [wrongKey]), node: node(taints: [noSchedule])) == .untoleratedTaint(noSchedule))
    }

    @Test func emptyKeyWithExistsToleratesEverything() async {
        let all = Toleration(operator: "Exists")
        #expect(NodeFitness.check(pod(tolerations: [all]), node: node(taints: [noSchedule, noExecute, Taint(key: "x", effect: Taint.noSchedule)])) == nil)
    }

    @Test func tolerationEffectMustMatchWhenSet() async {
        let onlyExecute = Toleration(key: "dedicated", operator: "Exists", effect: Taint.noExecute)
        #expect(NodeFitness.check(pod(tolerations: [onlyExecute]), node: node(taints: [noExecute])) == nil)
        #expect(NodeFitness.check(pod(tolerations: [onlyExecute]), node: node(taints: [noSchedule])) == .untoleratedTaint(noSchedule))
        let anyEffect = Toleration(key: "dedicated", operator: "Exists")
        #expect(NodeFitness.check(pod(tolerations: [anyEffect]), node: node(taints: [noSchedule, noExecute])) == nil)
    }

    @Test func theFirstUntoleratedTaintIsReported() async {
        let t2 = Taint(key: "second", effect: Taint.noExecute)
        let tol = Toleration(key: "dedicated", operator: "Exists")
        #expect(NodeFitness.check(pod(tolerations: [tol]), node: node(taints: [noSchedule, t2])) == .untoleratedTaint(t2))
    }
}

@Suite struct UnschedulablePredicateTests {
    @Test func cordonedNodeNeedsTheUnschedulableToleration() async {
        #expect(NodeFitness.check(pod(), node: node(unschedulable: true)) == .unschedulable)
        #expect(FitFailure.unschedulable.description == "node(s) were unschedulable")
        let tol = Toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: Taint.noSchedule)
        #expect(NodeFitness.check(pod(tolerations: [tol]), node: node(unschedulable: true)) == nil)
        #expect(NodeFitness.check(pod(tolerations: [Toleration(operator: "Exists")]), node: node(unschedulable: true)) == nil)
        let wrongEffect = Toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: Taint.noExecute)
        #expect(NodeFitness.check(pod(tolerations: [wrongEffect]), node: node(unschedulable: true)) == .unschedulable)
    }

    @Test func notReadyNodeWithoutTaintsIsEligible() async {
        var n = node()
        n.status?.conditions = [Condition(type: "Ready", status: "False")]
        #expect(NodeFitness.check(pod(), node: n) == nil)
    }
}

@Suite struct ResourcePredicateTests {
    @Test func nodeWithoutPodsAllocatableNeverFits() async {
        #expect(NodeFitness.check(pod(), node: node(allocatable: ["cpu": Quantity(4)])) == .tooManyPods)
        #expect(NodeFitness.check(pod(), node: node(allocatable: nil)) == .tooManyPods)
        #expect(NodeFitness.check(pod(), node: node(allocatable: ["pods": Quantity(0)])) == .tooManyPods)
        #expect(NodeFitness.check(pod(), node: node(allocatable: ["pods": Quantity(1)])) == nil)
        #expect(FitFailure.tooManyPods.description == "Too many pods")
    }

    @Test func requestsAreComparedWithRawAllocatable() async {
        #expect(NodeFitness.check(pod(requests: ["cpu": Quantity(4)]), node: node()) == nil)  // equal fits
        #expect(NodeFitness.check(pod(requests: ["cpu": Quantity(milli: 4001)]), node: node()) == .insufficient("cpu"))
        #expect(NodeFitness.check(pod(requests: ["memory": Quantity(parsing: "16Gi")!]), node: node()) == nil)
        #expect(NodeFitness.check(pod(requests: ["memory": Quantity(parsing: "17Gi")!]), node: node()) == .insufficient("memory"))
        #expect(NodeFitness.check(pod(requests: ["ephemeral-storage": Quantity(parsing: "1Gi")!]), node: node()) == .insufficient("ephemeral-storage"))
        #expect(NodeFitness.check(pod(requests: ["nvidia.com/gpu": Quantity(1)]), node: node()) == .insufficient("nvidia.com/gpu"))
        var gpu = node()
        gpu.status?.allocatable?["nvidia.com/gpu"] = Quantity(1)
        #expect(NodeFitness.check(pod(requests: ["nvidia.com/gpu": Quantity(1)]), node: gpu) == nil)
        #expect(FitFailure.insufficient("cpu").description == "Insufficient cpu")
    }

    @Test func effectiveRequestsTakeTheLargestInitContainerAndAddOverhead() async {
        var s = pod(requests: ["cpu": Quantity(1)])
        var initC = Container(name: "init")
        initC.resources = ResourceRequirements(requests: ["cpu": Quantity(5)])
        s.initContainers = [initC]
        #expect(NodeFitness.check(s, node: node()) == .insufficient("cpu"))
        var o = pod(requests: ["cpu": Quantity(2)])
        o.containers.append({ var c = Container(name: "d"); c.resources = ResourceRequirements(requests: ["cpu": Quantity(2)]); return c }())
        #expect(NodeFitness.check(o, node: node()) == nil)
        o.overhead = ["cpu": Quantity(milli: 100)]
        #expect(NodeFitness.check(o, node: node()) == .insufficient("cpu"))
    }

    @Test func podsAlreadyOnTheNodeCountOnlyWhenTheCallerSaysSo() async {
        var used = ResourceUsage()
        used.amounts = ["cpu": Quantity(3)]
        used.pods = 1
        #expect(NodeFitness.check(pod(requests: ["cpu": Quantity(2)]), node: node()) == nil)
        #expect(NodeFitness.check(pod(requests: ["cpu": Quantity(2)]), node: node(), requestedOnNode: used) == .insufficient("cpu"))
        #expect(NodeFitness.check(pod(), node: node(allocatable: ["pods": Quantity(1)]), requestedOnNode: used) == .tooManyPods)
    }
}

@Suite struct PredicateOrderTests {
    @Test func theFirstFailingPredicateDecides() async {
        let taint = Taint(key: "k", effect: Taint.noSchedule)
        let everything = node("n1", labels: [:], taints: [taint], unschedulable: true, allocatable: [:])
        #expect(NodeFitness.check(pod(nodeName: "x", selector: ["a": "b"]), node: everything) == .nodeName)
        #expect(NodeFitness.check(pod(selector: ["a": "b"]), node: everything) == .nodeAffinity)
        #expect(NodeFitness.check(pod(), node: everything) == .untoleratedTaint(taint))
        #expect(NodeFitness.check(pod(tolerations: [Toleration(key: "k", operator: "Exists")]), node: everything) == .unschedulable)
        #expect(NodeFitness.check(pod(tolerations: [Toleration(operator: "Exists")]), node: everything) == .tooManyPods)
    }
}

@Suite struct PredicateAssignedNodeTests {
    @Test func nodeNameThenTheFirstSingleMetadataNameInOfAnyTerm() async {
        var s = pod(terms: [field("In", ["n2"])])
        #expect(s.assignedNode == "n2")
        s.nodeName = "n1"
        #expect(s.assignedNode == "n1")
        #expect(pod(terms: [field("NotIn", ["n2"])]).assignedNode == "")
        #expect(pod(terms: [field("In", ["n2", "n3"])]).assignedNode == "")
        // Upstream's getAssignedNode scans every term, in order.
        #expect(pod(terms: [expr("zone", "In", ["a"]), field("In", ["n2"])]).assignedNode == "n2")
        #expect(pod(terms: [field("In", ["n3"]), field("In", ["n2"])]).assignedNode == "n3")
        #expect(pod().assignedNode == "")
    }
}
