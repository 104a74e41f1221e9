import Foundation
import Engine

/// A named mix of faults (`--faults PROFILE`; docs/faults.md), layered under a scenario's own
/// `settings.faults`: the profile fills in every key the scenario leaves out, and the scenario's
/// timeline `faults` entries still apply (over the profile, too).
public enum FaultProfile: String, CaseIterable, Sendable {
    /// No faults: the scenario runs as written (timed checks are judged).
    case none
    /// A moderate mix of every fault kind.
    case `default`
    /// API-server faults only: 500s, 429s, conflicts, slow and dropped watches.
    case api
    /// Every fault kind, often: a stress profile.
    case heavy

    /// One line for `--help` and the docs.
    public var summary: String {
        switch self {
        case .none: return "no faults"
        case .default: return "a moderate mix of every fault kind"
        case .api: return "API-server faults only (500s, 429s, conflicts, slow and dropped watches)"
        case .heavy: return "every fault kind, often"
        }
    }

    /// The faults this profile adds.
    public var settings: FaultSettings {
        var f = FaultSettings()
        switch self {
        case .none:
            break
        case .api, .default:
            f.errorRate = 0.02
            f.throttleRate = 0.02
            f.retryAfter = DurationSpec(1)
            f.conflictRate = 0.05
            f.watchDelay = DurationSpec(low: 0.010, high: 0.5)
            f.watchDisconnectEvery = DurationSpec(600)
            if self == .default {
                f.controllerCrashEvery = DurationSpec(1800)
                f.kubeletStallEvery = DurationSpec(1200)
                f.kubeletStallFor = DurationSpec(low: 10, high: 30)
                f.nodeLossEvery = DurationSpec(3600)
                f.nodeLossFor = DurationSpec(low: 60, high: 300)
                f.podKillEvery = DurationSpec(900)
                f.diskFillEvery = DurationSpec(1800)
                f.diskFillSize = SizeSpec(low: 5 << 30, high: 20 << 30)
                f.diskFillFor = DurationSpec(low: 300, high: 900)
            }
        case .heavy:
            f.errorRate = 0.1
            f.throttleRate = 0.1
            f.retryAfter = DurationSpec(low: 1, high: 3)
            f.conflictRate = 0.2
            f.watchDelay = DurationSpec(low: 0.010, high: 2)
            f.watchDisconnectEvery = DurationSpec(120)
            f.controllerCrashEvery = DurationSpec(300)
            f.kubeletStallEvery = DurationSpec(180)
            f.kubeletStallFor = DurationSpec(low: 10, high: 60)
            f.nodeLossEvery = DurationSpec(600)
            f.nodeLossFor = DurationSpec(low: 60, high: 600)
            f.podKillEvery = DurationSpec(120)
            f.diskFillEvery = DurationSpec(300)
            f.diskFillSize = SizeSpec(low: 20 << 30, high: 80 << 30)
            f.diskFillFor = DurationSpec(low: 120, high: 600)
        }
        return f
    }

    /// The profile called `s`; an unknown name is an error that lists the profiles and suggests the closest.
    public static func named(_ s: String) throws -> FaultProfile {
        guard let p = FaultProfile(rawValue: s) else { throw UnknownFaultProfile(name: s) }
        return p
    }
}

/// `--faults NAME` given a name that is no profile.
public struct UnknownFaultProfile: Error, CustomStringConvertible, Equatable {
    public var name: String
    public var description: String {
        let names = FaultProfile.allCases.map(\.rawValue)
        var msg = "unknown fault profile \"\(name)\": expected one of \(names.joined(separator: ", "))"
        if let s = suggestion(name, names) { msg += " (did you mean \"\(s)\"?)" }
        return msg + "; docs/faults.md describes them"
    }
}

extension Scenario {
    /// This scenario with `profile` layered under its faults: every `settings.faults` key the
    /// scenario leaves out (at the start, and after each timeline `faults` entry) comes from the
    /// profile. Under a profile other than `none` the run is judged on its invariants only
    /// (docs/faults.md, "What a run under --faults is judged on").
    public func layering(_ profile: FaultProfile) -> Scenario {
        var s = self
        s.faultProfile = profile
        return s
    }

    /// Whether timed `expect` checks and timeline action failures count toward pass or fail:
    /// not under a fault profile that injects faults, where only invariants (and rejected manifests) do.
    public var judgesTimedChecks: Bool { faultProfile == nil || faultProfile == FaultProfile.none }
}
