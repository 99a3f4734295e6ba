import Foundation
import RelaisDelivery
import Testing

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test func retriesSpreadOverAboutThreeDaysThenStop() {
        var total: TimeInterval = 0
        var attempt = 1
        while let delay = RetrySchedule.delay(afterFailedAttempts: attempt, jitter: { 1 }) {
            total += delay
            attempt += 1
        }
        #expect(attempt == 15, "14 retries after the first attempt")
        #expect(total > 2.5 * 86_400 && total < 3.5 * 86_400)
        #expect(RetrySchedule.delay(afterFailedAttempts: 1, jitter: { 1 }) == 10)
        #expect(RetrySchedule.delay(afterFailedAttempts: 0) == nil)
    }

    @Test func jitterStaysWithinTwentyPercentAndRetryAfterWinsWhenLonger() {
        for _ in 0..<100 {
            let delay = RetrySchedule.delay(afterFailedAttempts: 4) ?? 0
            #expect(delay >= 480 && delay <= 720)
        }
        #expect(RetrySchedule.delay(afterFailedAttempts: 1, retryAfter: 120, jitter: { 1 }) == 120)
        #expect(RetrySchedule.delay(afterFailedAttempts: 3, retryAfter: 5, jitter: { 1 }) == 120)
    }
}
