import Foundation
import Engine

/// The processes whose API calls `kruise-sim bench` counts: each has its own client(s).
public enum ClientComponent: Int, CaseIterable, Sendable {
    case kruiseManager, kubeControllerManager, scheduler, kubelets

    public var name: String {
        switch self {
        case .kruiseManager: return "kruise-manager"
        case .kubeControllerManager: return "kube-controller-manager"
        case .scheduler: return "scheduler"
        case .kubelets: return "kubelets"
        }
    }

    /// The default for a client made for `actor` (the controller manager's kube client is set apart by its maker).
    init(_ actor: Actor) {
        switch actor {
        case .controllerManager, .scenario, .user: self = .kruiseManager
        case .scheduler: self = .scheduler
        case .kubelet: self = .kubelets
        }
    }
}

/// Every client call of a run, by component (set on `APIServer.callTally`).
final class CallTally {
    private(set) var counts = [Int](repeating: 0, count: ClientComponent.allCases.count)
    func count(_ c: ClientComponent) { counts[c.rawValue] += 1 }
    subscript(_ c: ClientComponent) -> Int { counts[c.rawValue] }
}

/// Reconcile durations in virtual time (dequeue to return) and peak queue depth, per controller.
final class ReconcileStats {
    final class PerController {
        var durations: [Int64] = []
        var peakDepth = 0

        func record(from start: Timestamp, to end: Timestamp) {
            durations.append(end.nanos - start.nanos)
        }

        func sampleDepth(_ depth: Int) {
            if depth > peakDepth { peakDepth = depth }
        }
    }
    private(set) var controllers: [String: PerController] = [:]

    /// A controller's figures, by its name (a host keeps what it got for each controller).
    func entry(_ name: String) -> PerController {
        if let c = controllers[name] { return c }
        let c = PerController()
        controllers[name] = c
        return c
    }
}
