import Foundation
import Testing
@testable import Engine

/// Numbers at the edge of their types: what upstream does with them, without a trap.
@Suite struct OverflowTests {
    static let utc = TimeZone(identifier: "UTC")!

    // MARK: Cron (U1)

    @Test func aCronStepNearInt64MaxIsTheStartAloneAsInGo() async throws {
        // Go's getBits loops on uint: 1 + 9223372036854775807 fits, the loop ends, the field is minute 1.
        guard case .spec(let s) = try CronSchedule.parse("1/9223372036854775807 * * * *", defaultZone: Self.utc) else {
            Issue.record("not a spec schedule"); return
        }
        #expect(s.minute == 1 << 1)
        let start = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!.unixSeconds
        let first = try #require(CronSchedule.parse("1/9223372036854775807 * * * *", defaultZone: Self.utc).next(afterUnixSeconds: start))
        #expect(Timestamp(unixSeconds: first).rfc3339 == "2024-01-01T00:01:00Z")
        guard case .spec(let h) = try CronSchedule.parse("0 5/9223372036854775803 * * *", defaultZone: Self.utc) else { return }
        #expect(h.hour == 1 << 5)
    }

    @Test func theLargestAtoiStepIsAcceptedAndOneMoreIsRobfigsRangeError() async {
        #expect((try? CronSchedule.parse("59/9223372036854775807 * * * *", defaultZone: Self.utc)) != nil)
        do {
            _ = try CronSchedule.parse("1/9223372036854775808 * * * *", defaultZone: Self.utc)
            Issue.record("parsed")
        } catch {
            #expect(error.message == "failed to parse int from 9223372036854775808: strconv.Atoi: parsing \"9223372036854775808\": value out of range")
        }
    }

    @Test func everyFarPast2262HasAnExactNextFireTime() async throws {
        let start = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!.unixSeconds
        let s = try CronSchedule.parse("@every 2100000h", defaultZone: Self.utc)
        let next = try #require(s.next(afterUnixSeconds: start))
        #expect(Timestamp.rfc3339(unixSeconds: next) == "2263-07-27T00:00:00Z")
        #expect(Timestamp(unixSeconds: next) == Timestamp.max)  // a Timestamp saturates
    }

    // MARK: Timestamp

    @Test func timestampArithmeticSaturatesInsteadOfTrapping() async {
        let t = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!
        #expect(t.adding(seconds: 9_999_999_999) == .max)
        #expect(t.adding(seconds: -99_999_999_999) == .min)
        #expect(t.adding(seconds: .infinity) == .max)
        #expect(t.adding(seconds: .nan) == t)
        #expect(t.adding(nanos: .max) == .max)
        #expect(Timestamp(unixSeconds: .max) == .max && Timestamp(unixSeconds: .min) == .min)
        #expect(Timestamp(date: Date(timeIntervalSince1970: 1e300)) == .max)
        #expect(Timestamp.max.nanos(since: .min) == .max)
        #expect(Timestamp.max.seconds(since: .min) > 1.8e10)
        #expect(Timestamp.max.rfc3339 == "2262-04-11T23:47:16.854775807Z")
        #expect(Timestamp.min.rfc3339 == "1677-09-21T00:12:43.145224192Z")
        #expect(Timestamp.min.unixSeconds == -9_223_372_037)
    }

    @Test func rfc3339OutsideTheRangeIsReportedAsSuch() async {
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59Z") == nil)
        #expect(Timestamp.isOutOfRange(rfc3339: "9999-12-31T23:59:59Z"))
        #expect(Timestamp.isOutOfRange(rfc3339: "0001-01-01T00:00:00Z"))
        #expect(!Timestamp.isOutOfRange(rfc3339: "2262-04-11T23:47:16Z"))
        #expect(!Timestamp.isOutOfRange(rfc3339: "not a time"))
        #expect(Timestamp(rfc3339: "2262-04-11T23:47:16.854775807Z") == .max)
    }

    // MARK: Quantities

    @Test func hugeQuantitiesSaturateAndStillCompare() async {
        let huge = Quantity(parsing: "999999999999999999999999999999Ei")
        #expect(huge?.nanos == Quantity.limitNanos)
        #expect(huge?.value == Int64.max)
        let big = Quantity(parsing: "99999999999999999999Gi")!
        #expect(big.value == Int64.max)
        #expect(big.nanos == Quantity.limitNanos)  // 1.07e38 nano-units: past the limit too
        #expect(Quantity(parsing: "99999999999Gi")! < huge!)
        #expect((huge! + huge!).nanos == Quantity.limitNanos)
        #expect((Quantity.zero - huge! - huge!).nanos == -Quantity.limitNanos)
        // Below a nano-unit: rounds up (the divisor 10^51 does not fit Int128).
        #expect(Quantity(parsing: "0.00000000000000000000000000001e-30")?.nanos == 1)
        #expect(Quantity(parsing: "1e100Ei") == nil)  // not quantity syntax, as in Kubernetes
    }

    // MARK: BroadcastJob activeDeadlineSeconds (U3)

    @Test func aDeadlineThatWrapsNegativeFailsTheJobAtOnceAsUpstream() async throws {
        // time.Duration(9999999999) * time.Second wraps to -8446744074709551616ns: duration >= allowed at once.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 9_999_999_999))
        let r = try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.recorder.count("DeadlineExceeded") == 1)
        #expect(r.requeueAfter == nil)
    }

    @Test func aDeadlineThatWrapsPositiveBecomesThatShorterDeadline() async throws {
        // 20000000000 s = 2e19 ns ≡ 1553255926290448384 ns (mod 2^64): about 49 years, not 634.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 20_000_000_000))
        let r = try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(r.requeueAfter == 1_553_255_926.290448384)
    }

    @Test func theLargestDeadlineDoesNotTrap() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: .max))
        _ = try await h.reconcile("j")
        // Int64.max * 1e9 wraps to -1e9: one second back, already past.
        #expect(h.status("j").phase == "failed")
    }

    // MARK: AdvancedCronJob (U2)

    @Test func everyPast2262RequeuesAfterTheFullDelay() async throws {
        let h = ACJHarness(at: "2024-01-01T00:00:00Z")
        await h.createACJ(schedule: "@every 2100000h")
        let r = try await h.reconcile()
        #expect(r.requeueAfter == 7_560_000_000)
        #expect(h.childNames().isEmpty)
        await #expect(AdvancedCronJobController.nextRun(of: h.acj(), after: h.clock.now, localTimeZone: ACJHarness.utc) == .max)
        await #expect(AdvancedCronJobController.nextRunSeconds(of: h.acj(), after: h.clock.now, localTimeZone: ACJHarness.utc)
            .map { Timestamp.rfc3339(unixSeconds: $0) } == "2263-07-27T00:00:00Z")
    }

    @Test func theLongestGoDurationRequeuesAtGosMaximum() async throws {
        let h = ACJHarness(at: "2022-03-24T08:45:08.5Z")
        await h.createACJ(schedule: "@every 2562047h47m16s")
        let r = try await h.reconcile()
        // robfig: next = now + D - now.Nanosecond(), past 2262; nextRun.Sub(now) = D - 0.5s.
        #expect(r.requeueAfter == 9_223_372_035.5)
    }

    @Test func aStartingDeadlineThatWrapsIntoTheFutureNeverSchedulesAsUpstream() async throws {
        // -time.Second * 9999999999 wraps to +8446744074709551616ns: the scheduling deadline lies after now.
        let h = ACJHarness(at: "2022-03-24T08:45:08Z")
        await h.createACJ(schedule: "*/5 * * * *", startingDeadlineSeconds: 9_999_999_999)
        h.set("2022-03-24T09:00:01Z")
        try await h.reconcile()
        #expect(h.childNames().isEmpty)
        // Control: a deadline that does not wrap runs the missed slot.
        let c = ACJHarness(at: "2022-03-24T08:45:08Z")
        await c.createACJ(schedule: "*/5 * * * *", startingDeadlineSeconds: 9_000_000_000)
        c.set("2022-03-24T09:00:01Z")
        try await c.reconcile()
        #expect(c.childNames() == [ACJHarness.child("2022-03-24T09:00:00Z")])
    }
}
