import Foundation
import GRDB
import RelaisCore

/// Reads the `changes` table back into ``EventChange`` values.
enum ChangeLog {
    /// Changes with a sequence above `after` (and at most `through`), oldest first.
    static func changes(_ db: Database, after: Int64, through: Int64?, limit: Int) throws -> [EventChange] {
        var sql = """
            SELECT sequence, kind, event_id, before_json, after_json, recorded_at, origin
            FROM changes WHERE sequence > ?
            """
        var arguments: [any DatabaseValueConvertible] = [after]
        if let through {
            sql += " AND sequence <= ?"
            arguments.append(through)
        }
        sql += " ORDER BY sequence LIMIT ?"
        arguments.append(Int64(clamping: limit))
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var result: [EventChange] = []
        while let row = try rows.next() {
            result.append(try change(row))
        }
        return result
    }

    private static func change(_ row: Row) throws -> EventChange {
        let sequence = try row.decode(Int64?.self, atIndex: 0) ?? 0
        guard let kindName = try row.decode(String?.self, atIndex: 1), let kind = ChangeKind(rawValue: kindName),
            let eventID = try row.decode(String?.self, atIndex: 2), let afterJSON = try row.decode(String?.self, atIndex: 4)
        else {
            throw StoredDataProblem("change \(sequence) of the change log is incomplete")
        }
        let before = try row.decode(String?.self, atIndex: 3).map { try event(fromJSON: $0, sequence: sequence) }
        let after = try event(fromJSON: afterJSON, sequence: sequence)
        let recordedAt = try row.decode(Double?.self, atIndex: 5) ?? 0
        return EventChange(
            sequence: sequence, kind: kind, eventID: eventID, before: before, after: after,
            recordedAt: Date(timeIntervalSince1970: recordedAt), source: try row.decode(String?.self, atIndex: 6) ?? "")
    }

    /// The event a change-log JSON object describes.
    ///
    /// The log holds the canonical JSON of events that were normalized and validated when
    /// they were put, so the exact shape `EventJSONWriting` writes is read directly; it is
    /// read once per change after every import, and `EventRecordDecoding` would normalize
    /// and validate every text again. Any other shape (a log written by another version)
    /// goes through `EventRecordDecoding`, the rules every imported record follows.
    static func event(fromJSON json: String, sequence: Int64) throws -> Event {
        let value: InterchangeValue
        do {
            value = try JSONValueParser.parse(json)
        } catch {
            throw StoredDataProblem("change \(sequence) of the change log is not readable JSON (\(error))")
        }
        guard case .object(let record) = value else {
            throw StoredDataProblem("change \(sequence) of the change log is not a JSON object")
        }
        if let event = canonicalEvent(record) { return event }
        do {
            return try EventRecordDecoding.event(from: record)
        } catch {
            throw StoredDataProblem("change \(sequence) of the change log holds an invalid event: \(error)")
        }
    }

    /// The event of a record shaped exactly as `EventJSONWriting` writes it, or nil.
    static func canonicalEvent(_ record: [String: InterchangeValue]) -> Event? {
        guard case .string(let id)? = record["id"], case .string(let title)? = record["title"],
            case .string(let kindName)? = record["kind"], let kind = EventKind(rawValue: kindName),
            case .string(let statusName)? = record["status"], let status = EventStatus(rawValue: statusName),
            case .array(let slotValues)? = record["slots"], !slotValues.isEmpty,
            case .bool(let online)? = record["online"]
        else { return nil }
        var used = 6
        var slots: [Slot] = []
        slots.reserveCapacity(slotValues.count)
        for value in slotValues {
            guard case .object(let fields) = value, case .string(let startText)? = fields["start"],
                let start = EventTime(parsing: startText)
            else { return nil }
            var end: EventTime?
            if let endValue = fields["end"] {
                guard case .string(let endText) = endValue, let parsed = EventTime(parsing: endText) else { return nil }
                end = parsed
            }
            guard fields.count == (end == nil ? 1 : 2) else { return nil }
            slots.append(Slot(start: start, end: end))
        }
        var region: Region?
        switch record["region"] {
        case .null?: used += 1
        case .string(let code)?:
            guard let found = Region(code: code) else { return nil }
            region = found
            used += 1
        default: return nil
        }
        var texts: [String: String] = [:]
        for name in ["lab", "organizer", "place", "url", "contact", "description"] {
            guard let value = record[name] else { continue }
            guard case .string(let text) = value else { return nil }
            texts[name] = text
            used += 1
        }
        var lists: [String: [String]] = [:]
        for name in ["audience", "tags"] {
            guard let value = record[name] else { continue }
            guard case .array(let items) = value else { return nil }
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else { return nil }
                strings.append(text)
            }
            lists[name] = strings
            used += 1
        }
        guard used == record.count else { return nil }  // a field this reader does not know
        return Event(
            id: id, title: title, kind: kind, status: status, slots: slots, region: region, online: online,
            lab: texts["lab"], organizer: texts["organizer"], place: texts["place"], url: texts["url"],
            contact: texts["contact"], audience: lists["audience"] ?? [], tags: lists["tags"] ?? [],
            description: texts["description"])
    }
}
