import Foundation

/// A one-line progress display on standard error for long imports and exports.
///
/// Draws only when standard error is a terminal, at most ten times a second, so piped or
/// cron runs stay silent and the hot loop pays one clock read per 1024 events.
public final class ProgressReporter {
    private let label: String
    private let total: Int?
    private let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drewSomething = false
    private let draw: (String) -> Void

    /// - Parameters:
    ///   - label: what is being done (`Importing mip2020.jsonl`).
    ///   - total: the number of items when known, for a bar and a percentage.
    ///   - enabled: defaults to whether standard error is a terminal.
    ///   - draw: where lines go; standard error by default (tests pass their own).
    public init(
        label: String, total: Int? = nil, enabled: Bool = Terminal.standardErrorIsTerminal,
        draw: @escaping (String) -> Void = Terminal.writeError
    ) {
        self.label = label
        self.total = total
        self.enabled = enabled
        self.draw = draw
    }

    /// Reports that `done` items are finished.
    public func update(_ done: Int) {
        guard enabled, done & 1023 == 0 || done == total else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        draw("\r" + line(done: done, elapsed: now.timeIntervalSince(started)) + "\u{1B}[K")
        drewSomething = true
    }

    /// Clears the line so the summary that follows starts clean.
    public func finish() {
        guard enabled, drewSomething else { return }
        draw("\r\u{1B}[K")
    }

    /// The text of the progress line (exposed for tests).
    public func line(done: Int, elapsed: TimeInterval) -> String {
        let rate = elapsed > 0 ? Int(Double(done) / elapsed) : 0
        guard let total, total > 0 else {
            return "\(label): \(Self.grouped(done)) events (\(Self.grouped(rate))/s)"
        }
        let fraction = min(1, Double(done) / Double(total))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        return "\(label) \(bar) \(Int(fraction * 100))% \(Self.grouped(done))/\(Self.grouped(total)) (\(Self.grouped(rate))/s)"
    }

    /// `1 234 567`, grouped by thousands with thin spaces, as French writes numbers.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "\u{202F}" }
            result.append(character)
        }
        return result
    }
}
