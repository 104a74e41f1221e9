import Foundation
import Testing
@testable import Sim
import Engine

/// The kernel's ordering and batching, the seeded random streams and the client token bucket.
@Suite struct KernelTests {
    static let t0 = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!

    @Test func eventsRunInTimeThenInsertionOrder() {
        let k = Kernel(start: Self.t0)
        var log: [String] = []
        k.schedule(after: 2) { log.append("b@2") }
        k.schedule(after: 1) { log.append("a@1") }
        k.schedule(after: 2) { log.append("c@2") }
        k.schedule(after: 0.5) { log.append("first") }
        k.schedule(after: 2) { log.append("d@2") }
        k.run(until: Self.t0.adding(seconds: 10))
        #expect(log == ["first", "a@1", "b@2", "c@2", "d@2"])
        #expect(k.eventsRun == 5)
    }

    @Test func clockReadsTheEventTimeWhileItRuns() {
        let k = Kernel(start: Self.t0)
        var seen: [Double] = []
        for s in [3.0, 1.0, 2.5] { k.schedule(after: s) { seen.append(k.clock.elapsed) } }
        k.run(until: Self.t0.adding(seconds: 5))
        #expect(seen == [1.0, 2.5, 3.0])
    }

    @Test func oneInstantIsOneBatchIncludingEventsScheduledDuringIt() {
        let k = Kernel(start: Self.t0)
        var log: [String] = []
        k.afterBatch = { log.append("after@\(k.clock.elapsed)") }
        k.schedule(after: 1) {
            log.append("x")
            // Scheduled during the batch at the same instant: still part of it.
            k.schedule(after: 0) { log.append("x-same-instant") }
            k.schedule(after: 1) { log.append("x-later") }
        }
        k.schedule(after: 1) { log.append("y") }
        k.run(until: Self.t0.adding(seconds: 5))
        #expect(log == ["x", "y", "x-same-instant", "after@1.0", "x-later", "after@2.0"])
        #expect(k.batches == 2)
    }

    @Test func runUntilLeavesTheClockAtTheEndAndKeepsLaterEvents() {
        let k = Kernel(start: Self.t0)
        var ran: [Int] = []
        k.schedule(after: 3) { ran.append(3) }
        k.schedule(after: 30) { ran.append(30) }
        k.run(until: Self.t0.adding(seconds: 10))
        #expect(ran == [3])
        #expect(k.now == Self.t0.adding(seconds: 10))
        #expect(k.pending == 1)
        #expect(k.nextTime == Self.t0.adding(seconds: 30))
        // An empty queue still moves the clock to the end.
        let empty = Kernel(start: Self.t0)
        empty.run(until: Self.t0.adding(seconds: 42))
        #expect(empty.clock.elapsed == 42)
        // An event exactly at the end runs.
        k.run(until: Self.t0.adding(seconds: 30))
        #expect(ran == [3, 30])
        #expect(k.clock.elapsed == 30)
    }

    @Test func schedulingInThePastClampsToNow() {
        let k = Kernel(start: Self.t0)
        var log: [(String, Double)] = []
        k.schedule(after: 5) {
            k.schedule(at: Self.t0) { log.append(("past", k.clock.elapsed)) }
            k.schedule(after: -3) { log.append(("negative", k.clock.elapsed)) }
            log.append(("at5", k.clock.elapsed))
        }
        k.run(until: Self.t0.adding(seconds: 10))
        #expect(log.map(\.0) == ["at5", "past", "negative"])
        #expect(log.map(\.1) == [5, 5, 5])
        #expect(k.batches == 1)
    }

    @Test func stopRequestedEndsTheRunAfterTheBatch() {
        let k = Kernel(start: Self.t0)
        var ran: [Int] = []
        k.schedule(after: 1) { ran.append(1); k.stopRequested = true }
        k.schedule(after: 1) { ran.append(2) }
        k.schedule(after: 2) { ran.append(3) }
        k.run(until: Self.t0.adding(seconds: 10))
        #expect(ran == [1, 2])
        #expect(k.clock.elapsed == 1)
    }

    // MARK: Random streams

    @Test func sameSeedGivesTheSameDraws() {
        let a = RandomStreams(seed: 42), b = RandomStreams(seed: 42)
        let xs = (0..<20).map { _ in a.unit("run") }
        let ys = (0..<20).map { _ in b.unit("run") }
        #expect(xs == ys)
        #expect(xs.allSatisfy { (0..<1).contains($0) })
        #expect(Set(xs).count == 20)
        let c = RandomStreams(seed: 43)
        #expect((0..<20).map { _ in c.unit("run") } != xs)
    }

    @Test func streamsAreIndependentByPurpose() {
        let plain = RandomStreams(seed: 7)
        let expected = (0..<10).map { _ in plain.unit("watch") }
        let mixed = RandomStreams(seed: 7)
        var got: [Double] = []
        for i in 0..<10 {
            // Draws for other purposes in between must not shift the "watch" stream.
            for _ in 0..<(i % 3 + 1) { _ = mixed.unit("latency") }
            _ = mixed.draw("names") { $0.next() }
            got.append(mixed.unit("watch"))
        }
        #expect(got == expected)
        // And different purposes give different sequences.
        let s = RandomStreams(seed: 7)
        #expect((0..<5).map { _ in s.unit("a") } != (0..<5).map { _ in s.unit("b") })
    }

    @Test func rangedDurationsDrawWithinTheRange() {
        let rng = RandomStreams(seed: 3)
        let d = DurationSpec(low: 10, high: 30)
        let draws = (0..<200).map { _ in d.draw(rng, "run") }
        #expect(draws.allSatisfy { $0 >= 10 && $0 < 30 })
        #expect(draws.min()! < 12 && draws.max()! > 28)
        #expect(DurationSpec(5).draw(rng, "run") == 5)
        #expect(d.description == "10s..30s")
    }

    @Test func formatSecondsReadsLikeGo() {
        #expect(formatSeconds(0) == "0s")
        #expect(formatSeconds(0.25) == "250ms")
        #expect(formatSeconds(90) == "1m30s")
        #expect(formatSeconds(3600) == "1h")
        #expect(formatSeconds(5400) == "1h30m")
    }

    // MARK: Token bucket

    @Test func tokenBucketGivesTheBurstThenSpacesByQPS() {
        let b = TokenBucket(qps: 10, burst: 3, start: Self.t0)
        let times = (0..<6).map { _ in b.reserve(at: Self.t0).seconds(since: Self.t0) }
        #expect(times[0] == 0 && times[1] == 0 && times[2] == 0)
        #expect(abs(times[3] - 0.1) < 1e-6)
        #expect(abs(times[4] - 0.2) < 1e-6)
        #expect(abs(times[5] - 0.3) < 1e-6)
    }

    @Test func tokenBucketRefillsWhileIdleUpToTheBurst() {
        let b = TokenBucket(qps: 2, burst: 2, start: Self.t0)
        _ = b.reserve(at: Self.t0)
        _ = b.reserve(at: Self.t0)
        // Ten idle seconds refill at most `burst` tokens.
        let later = Self.t0.adding(seconds: 10)
        let times = (0..<4).map { _ in b.reserve(at: later).seconds(since: later) }
        #expect(times[0] == 0 && times[1] == 0)
        #expect(abs(times[2] - 0.5) < 1e-6)
        #expect(abs(times[3] - 1.0) < 1e-6)
    }

    @Test func openOnlyBucketNeverWaits() {
        let b = TokenBucket(qps: 0, burst: 1, start: Self.t0)
        for _ in 0..<100 { #expect(b.reserve(at: Self.t0) == Self.t0) }
    }
}
