import Foundation

// How `metav1.Time` and Go's `time.Format(time.RFC3339)` render instants.

extension Timestamp {
    /// The instant as a `metav1.Time` stores it: RFC 3339 without a fraction, so a time written to an object's
    /// status reads back truncated to the whole second (toward the past).
    public var wholeSeconds: Timestamp { Timestamp(unixSeconds: unixSeconds) }

    /// Go's `t.In(zone).Format(time.RFC3339)`: whole seconds, the zone's offset at that instant (`+08:00`), `Z` when
    /// the offset is zero. An offset with seconds (historic local mean time) is shown to the minute, as Go does.
    public func rfc3339(in zone: TimeZone) -> String {
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unixSeconds))))
        if offset == 0 { return wholeSeconds.rfc3339 }
        let local = Timestamp(unixSeconds: unixSeconds + offset).rfc3339  // `…Z`
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return String(local.dropLast()) + sign + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
}
