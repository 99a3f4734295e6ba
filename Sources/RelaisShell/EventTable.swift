import Foundation
import RelaisCore

/// Renders events as an aligned text table for people at a terminal: one row per event,
/// French dates, titles shortened with `…` to fit the width.
public struct EventTable {
    /// The columns shown, in order.
    public static let headers = ["Quand", "Titre", "Type", "Région", "Lab", "Statut"]

    private var rows: [[String]] = []
    private let width: Int

    /// - Parameter width: the terminal width to fit in.
    public init(width: Int) {
        self.width = max(40, width)
    }

    /// Adds an event as a row. Events with several slots show the first and a `(+N)`.
    public mutating func append(_ event: Event) {
        let first = event.slots.min { $0.coveredStart < $1.coveredStart } ?? event.slots.first
        var when = first.map(Self.shortSlot) ?? ""
        if event.slots.count > 1 { when += " (+\(event.slots.count - 1))" }
        rows.append([
            when, event.title, event.kind.frenchLabel, event.region?.name ?? (event.online ? "en ligne" : "national"),
            event.lab ?? "", event.status == .scheduled ? "" : event.status.frenchLabel,
        ])
    }

    public var count: Int { rows.count }

    /// A compact French form for a table cell: `mar. 10 nov. 2020 9h30`, `17–27 nov. 2020`.
    public static func shortSlot(_ slot: Slot) -> String {
        let months = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
        let weekdays = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
        func day(_ d: CivilDate) -> String { "\(weekdays[d.isoWeekday - 1]) \(d.day) \(months[d.month - 1]) \(d.year)" }
        switch slot.start {
        case .allDay(let start):
            if let end = slot.end?.parisDay, end != start {
                if end.year == start.year && end.month == start.month {
                    return "\(start.day)–\(end.day) \(months[start.month - 1]) \(start.year)"
                }
                return "\(start.day) \(months[start.month - 1]) – \(end.day) \(months[end.month - 1]) \(end.year)"
            }
            return day(start)
        case .instant(let instant):
            let local = ParisTime.local(instant)
            return "\(day(local.date)) \(FrenchDates.time(local))"
        }
    }

    /// The table as text, header first, a rule under it, and a count line at the end.
    public func render() -> String {
        var widths = Self.headers.map { $0.count }
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        // Fit the width: shrink the widest column above its minimum, one character at a
        // time (down to a few characters each, titles and places first).
        let separator = 2
        let minimums = [12, 12, 5, 5, 4, 4]
        var total = widths.reduce(0, +) + separator * (widths.count - 1)
        while total > width {
            var candidate: Int?
            for index in widths.indices where widths[index] > minimums[index] {
                if candidate.map({ widths[index] - minimums[index] > widths[$0] - minimums[$0] }) ?? true {
                    candidate = index
                }
            }
            guard let index = candidate else { break }
            widths[index] -= 1
            total -= 1
        }
        var lines: [String] = []
        lines.append(format(Self.headers, widths: widths))
        lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        for row in rows { lines.append(format(row, widths: widths)) }
        lines.append("\(rows.count) événement\(rows.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    private func format(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let limit = widths[index]
            var text = cell.replacingOccurrences(of: "\n", with: " ")
            if text.count > limit { text = String(text.prefix(max(0, limit - 1))) + "…" }
            let padding = index == cells.count - 1 ? 0 : limit - text.count
            parts.append(text + String(repeating: " ", count: max(0, padding)))
        }
        return parts.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

/// An ``EventTable`` as an export target, so tables come out of the same pipeline as
/// every other format (built-in filters, Lua filters, limits).
public final class TableWriter: EventWriter {
    /// Where the table goes when the last event is in.
    public var output: (any TextOutput)?
    private var table: EventTable

    public init(width: Int) {
        table = EventTable(width: width)
    }

    public func begin() throws {}

    public func write(_ event: Event) throws {
        table.append(event)
    }

    public func finish() throws {
        try output?.write(table.render())
    }
}
