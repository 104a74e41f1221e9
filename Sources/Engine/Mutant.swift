/// A deliberate, named defect of the engine, for mutation testing of scenario suites: run the
/// suite with one mutant on (`kruise-sim run --mutant NAME`) and see whether it fails. Each is a
/// bug class OpenKruise really had. Compiled in always; off (nil) costs one comparison at the
/// decision point it changes.
public enum Mutant: String, CaseIterable, Sendable, Hashable {
    /// The BroadcastJob controller ignores its scale expectations: under a lagging cache it does
    /// not wait for the pods it just created and creates a second pod for the same node.
    case noExpectations = "no-expectations"
    /// The BroadcastJob controller does not ask to come back at the active deadline, so the
    /// deadline is only checked when some other event makes it reconcile.
    case deadlineNotRearmed = "deadline-not-rearmed"
    /// A pod creation that failed (other than a timeout) still counts as active, inflating
    /// `status.active`.
    case createErrorsCountedActive = "create-errors-counted-active"
    /// The AdvancedCronJob controller forgets its persisted `lastScheduleTime` and derives the
    /// last run from the children alone: once they are deleted (TTL, history limits), the slot runs again.
    case rerunDeletedChildren = "rerun-deleted-children"
    /// The BroadcastJob controller compares a pod's restarts with `restartLimit` using `>=`
    /// instead of `>`: a pod is failed one restart early.
    case restartLimitOffByOne = "restart-limit-off-by-one"
    /// Node fitness (BroadcastJob controller and scheduler) ignores NoSchedule taints; NoExecute
    /// taints still count.
    case ignoreTaints = "ignore-taints"

    /// The mutant's name, as `--mutant` takes it.
    public var name: String { rawValue }

    /// One line: what the defect does.
    public var summary: String {
        switch self {
        case .noExpectations:
            return "BroadcastJob controller ignores scale expectations: duplicate pods on a node under a lagging cache"
        case .deadlineNotRearmed:
            return "BroadcastJob activeDeadlineSeconds only checked when some event arrives (no wake-up at the deadline)"
        case .createErrorsCountedActive:
            return "BroadcastJob pod creations that failed are counted in status.active"
        case .rerunDeletedChildren:
            return "AdvancedCronJob reruns a slot whose children were deleted (lastScheduleTime taken from children only)"
        case .restartLimitOffByOne:
            return "BroadcastJob restartLimit compared with >= instead of >: pods fail one restart early"
        case .ignoreTaints:
            return "node fitness ignores NoSchedule taints: pods land on tainted nodes"
        }
    }

    /// The upstream issues and pull requests of the bug class.
    public var upstream: String {
        switch self {
        case .noExpectations: return "openkruise/kruise#449"
        case .deadlineNotRearmed: return "openkruise/kruise#1409"
        case .createErrorsCountedActive: return "openkruise/kruise#2414"
        case .rerunDeletedChildren: return "openkruise/kruise#2213, openkruise/kruise#862"
        case .restartLimitOffByOne: return "restartLimit semantics, openkruise/kruise#1034"
        case .ignoreTaints: return "checkNodeFitness's PodToleratesNodeTaints predicate"
        }
    }
}
