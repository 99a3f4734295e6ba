import Foundation
import GRDB
import GRDBSQLite
import RelaisCore

/// How an event is laid out in its `events` row, and back.
///
/// Every field has its own column so the catalogue reads well in the `sqlite3` shell and
/// the filters can be indexed. The three list fields are packed into one text column each
/// (slots as `start/end;start/end`, audience and tags as JSON arrays), so that turning a
/// row back into an ``Event`` never needs a second query: this is the streaming hot path.
struct StoredEvent: Sendable {
    /// The fields of ``columns``, in order.
    static let columnFields = EventFieldTexts.Field.allCases
    /// The columns of the `events_listing` index that hold fields, which a listing reads
    /// without visiting the rows, and their fields.
    static let indexedFields: [EventFieldTexts.Field] = [.id, .kind, .status, .region, .online, .lab]
    static let indexedColumns = indexedColumns(indexedFields)

    /// The columns of `fields` (each column is named after its field), for a listing of
    /// the `events` table as `e`.
    static func indexedColumns(_ fields: [EventFieldTexts.Field]) -> String {
        fields.map { "e.\($0)" }.joined(separator: ", ")
    }

    /// The columns ``decode(_:at:)`` reads, in this order.
    static let columns =
        "id, title, kind, status, slots, region, online, lab, organizer, place, url, contact, audience, tags, description"
    /// How many columns ``columns`` lists.
    static let columnCount = 15

    let id: String
    let title: String
    let kind: String
    let status: String
    let slots: String
    let region: String?
    let online: Bool
    let lab: String?
    let organizer: String?
    let place: String?
    let url: String?
    let contact: String?
    let audience: String?
    let tags: String?
    let description: String?
    /// The interchange text (`description`) of each slot's start and end: the same as
    /// their text in ``slots`` but for the rare times stored in their exact form.
    let slotDescriptions: [(start: String, end: String?)]

    /// Encodes `event`; losslessly, so that decoding gives back an equal event.
    init(_ event: Event) {
        var texts = TimeTextCache(placeBits: 2)
        self.init(event, texts: &texts)
    }

    /// Encodes `event`, taking slot times' texts from `texts` when it has them.
    init(_ event: Event, texts: inout TimeTextCache) {
        id = event.id
        title = event.title
        kind = event.kind.rawValue
        status = event.status.rawValue
        var descriptions: [(start: String, end: String?)] = []
        descriptions.reserveCapacity(event.slots.count)
        var packed: [UInt8] = []
        // Room for the usual slots (two times with offsets and their separators): one
        // allocation instead of one for each piece appended.
        packed.reserveCapacity(event.slots.count * 52)
        Self.appendPackedSlots(of: event, texts: &texts, to: &packed) { descriptions.append(($0, $1)) }
        slotDescriptions = descriptions
        slots = String(decoding: packed, as: UTF8.self)
        region = event.region?.code
        online = event.online
        lab = event.lab
        organizer = event.organizer
        place = event.place
        url = event.url
        contact = event.contact
        audience = Self.packList(event.audience)
        tags = Self.packList(event.tags)
        description = event.description
    }

    /// Appends the `slots` column of `event` (`start/end;start/end`, each time as
    /// ``StoredTime`` writes it) to `out`, and gives `described` each slot's interchange
    /// texts, taken from `texts` when it has them.
    static func appendPackedSlots(
        of event: Event, texts: inout TimeTextCache, to out: inout [UInt8],
        described: (_ start: String, _ end: String?) -> Void = { _, _ in }
    ) {
        for (index, slot) in event.slots.enumerated() {
            let startDescription = texts.description(slot.start)
            let endDescription = slot.end.map { texts.description($0) }
            described(startDescription, endDescription)
            if index > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: StoredTime.text(slot.start, description: startDescription).utf8)
            if let end = slot.end {
                out.append(UInt8(ascii: "/"))
                out.append(contentsOf: StoredTime.text(end, description: endDescription ?? end.description).utf8)
            }
        }
    }

    /// Binds the columns of ``columns`` after `id`, in order, from `texts` (laid out from
    /// an encoding) and `online`, in place, to the parameters of `statement` from `first`;
    /// returns the index after the last one bound.
    static func bindFields(_ texts: RowTexts.Texts, online: Bool, to statement: DirectStatement, from first: Int32)
        throws -> Int32
    {
        try statement.bind(first, inPlace: texts.text(.title))
        try statement.bind(first + 1, inPlace: texts.text(.kind))
        try statement.bind(first + 2, inPlace: texts.text(.status))
        try statement.bind(first + 3, inPlace: texts.text(.slots))
        try statement.bind(first + 4, inPlace: texts.text(.region))
        try statement.bind(first + 5, Int64(online ? 1 : 0))
        try statement.bind(first + 6, inPlace: texts.text(.lab))
        try statement.bind(first + 7, inPlace: texts.text(.organizer))
        try statement.bind(first + 8, inPlace: texts.text(.place))
        try statement.bind(first + 9, inPlace: texts.text(.url))
        try statement.bind(first + 10, inPlace: texts.text(.contact))
        try statement.bind(first + 11, inPlace: texts.text(.audience))
        try statement.bind(first + 12, inPlace: texts.text(.tags))
        try statement.bind(first + 13, inPlace: texts.text(.description))
        return first + 14
    }

    /// Whether `row` (the columns of ``columns`` starting at `offset`) holds exactly this
    /// encoding. Comparing the stored text is much cheaper than decoding the stored event,
    /// and re-imports are mostly unchanged events.
    func isStored(in row: Row, at offset: Int) throws -> Bool {
        let leading: [String?] = [title, kind, status, slots, region]
        for (index, expected) in leading.enumerated() {
            let stored = try row.decode(String?.self, atIndex: offset + 1 + index)
            if stored != expected { return false }
        }
        let storedOnline = try row.decode(Int64?.self, atIndex: offset + 6)
        if storedOnline != (online ? 1 : 0) { return false }
        let trailing: [String?] = [lab, organizer, place, url, contact, audience, tags, description]
        for (index, expected) in trailing.enumerated() {
            let stored = try row.decode(String?.self, atIndex: offset + 7 + index)
            if stored != expected { return false }
        }
        return true
    }

    /// Audience and tags as a JSON array, or nil (SQL NULL) when empty.
    static func packList(_ items: [String]) -> String? {
        items.isEmpty ? nil : EventJSONWriting.arrayText(items)
    }

    /// Decodes the event stored in `row`, whose columns are those of ``columns`` starting
    /// at `offset`. Throws ``StoredDataProblem`` when the row was damaged outside Relais.
    static func decode(_ row: Row, at offset: Int) throws -> Event {
        try decode(RowColumns(row: row, offset: offset))
    }

    /// The event in the current row of `statement`, whose columns from `offset` on are
    /// ``columns``: read straight from SQLite, without building a GRDB row, for the
    /// listings that build every event they read.
    static func decode(_ statement: SQLiteStatement, at offset: Int32) throws -> Event {
        try decode(StatementColumns(statement: statement, offset: offset))
    }

    private static func decode(_ row: some StoredColumns) throws -> Event {
        guard let id = try row.text(0) else {
            throw StoredDataProblem("an event row has no id")
        }
        func required(_ index: Int32, _ name: String) throws -> String {
            guard let value = try row.text(index) else {
                throw StoredDataProblem("event '\(id)' has no \(name)")
            }
            return value
        }
        let title = try required(1, "title")
        // Kind, status and region are matched on the column's bytes, without a string.
        let kind = try row.withBytes(2) { bytes -> EventKind in
            guard let bytes else { throw StoredDataProblem("event '\(id)' has no kind") }
            guard let kind = kindsByText.value(named: bytes) else {
                throw StoredDataProblem("event '\(id)' has the unknown kind '\(preview(bytes, 40))'")
            }
            return kind
        }
        let status = try row.withBytes(3) { bytes -> EventStatus in
            guard let bytes else { throw StoredDataProblem("event '\(id)' has no status") }
            guard let status = statusesByText.value(named: bytes) else {
                throw StoredDataProblem("event '\(id)' has the unknown status '\(preview(bytes, 40))'")
            }
            return status
        }
        // Slots and lists are parsed from the column's bytes: only their parts become strings.
        let slots = try row.withBytes(4) { bytes -> [Slot] in
            guard let bytes else { throw StoredDataProblem("event '\(id)' has no slots") }
            guard let slots = unpackSlots(bytes) else {
                throw StoredDataProblem("event '\(id)' has unreadable slots '\(preview(bytes, 80))'")
            }
            return slots
        }
        let region = try row.withBytes(5) { bytes -> Region? in
            guard let bytes else { return nil }
            guard let region = regionsByCode.value(named: bytes) else {
                throw StoredDataProblem("event '\(id)' has the unknown region code '\(preview(bytes, 20))'")
            }
            return region
        }
        let online = try row.integer(6) ?? 0
        return Event(
            id: id, title: title, kind: kind, status: status, slots: slots, region: region, online: online != 0,
            lab: try row.text(7), organizer: try row.text(8), place: try row.text(9), url: try row.text(10),
            contact: try row.text(11), audience: try row.withBytes(12) { try unpackList($0, field: "audience", id: id) },
            tags: try row.withBytes(13) { try unpackList($0, field: "tags", id: id) }, description: try row.text(14))
    }

    /// The slots packed in `text`, or nil when it is unreadable.
    static func unpackSlots(_ text: String) -> [Slot]? {
        var text = text
        return text.withUTF8 { unpackSlots($0) }
    }

    /// The same from the text's UTF-8 bytes. `;` and `/` are ASCII, so they fall on
    /// character boundaries; this runs for every event an export reads.
    static func unpackSlots(_ bytes: UnsafeBufferPointer<UInt8>) -> [Slot]? {
        var slots: [Slot] = []
        var partStart = 0
        var slash: Int?
        var index = 0
        while true {
            let atEnd = index == bytes.count
            let byte = atEnd ? UInt8(ascii: ";") : bytes[index]
            if byte == UInt8(ascii: ";") {
                guard let start = StoredTime.parse(UnsafeBufferPointer(rebasing: bytes[partStart..<(slash ?? index)]))
                else { return nil }
                var end: EventTime?
                if let slash {
                    guard let parsed = StoredTime.parse(UnsafeBufferPointer(rebasing: bytes[(slash + 1)..<index]))
                    else { return nil }
                    end = parsed
                }
                slots.append(Slot(start: start, end: end))
                if atEnd { return slots }
                partStart = index + 1
                slash = nil
            } else if byte == UInt8(ascii: "/"), slash == nil {
                slash = index
            }
            index += 1
        }
    }

    /// A packed list (a JSON array of strings, as ``packList(_:)`` writes it); empty for NULL.
    private static func unpackList(_ bytes: UnsafeBufferPointer<UInt8>?, field: String, id: String) throws -> [String] {
        guard let bytes else { return [] }
        if let items = unpackPlainList(bytes) { return items }
        // Escapes, spaces, or damage: the full JSON parser decides.
        let text = String(decoding: bytes, as: UTF8.self)
        guard case .array(let items)? = try? JSONValueParser.parse(text) else {
            throw StoredDataProblem("event '\(id)' has unreadable \(field) '\(text.prefix(80))'")
        }
        var result: [String] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case .string(let value) = item else {
                throw StoredDataProblem("event '\(id)' has unreadable \(field) '\(text.prefix(80))'")
            }
            result.append(value)
        }
        return result
    }

    /// The strings of `["a","b"]` when it is written exactly so — no white space, and no
    /// escape or control character inside the strings, as almost every list is — or nil,
    /// for the JSON parser to read (or refuse).
    static func unpackPlainList(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        let count = bytes.count
        guard count >= 2, bytes[0] == UInt8(ascii: "["), bytes[count - 1] == UInt8(ascii: "]") else { return nil }
        var items: [String] = []
        var index = 1
        if index == count - 1 { return items }
        while true {
            guard bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            index = start
            while index < count - 1, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { return nil }
                index += 1
            }
            guard index < count - 1 else { return nil }
            items.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            index += 1
            if index == count - 1 { return items }
            guard bytes[index] == UInt8(ascii: ","), index + 1 < count - 1 else { return nil }
            index += 1
        }
    }

    private static let kindsByText = NamedValues(EventKind.allCases.map { ($0.rawValue, $0) })
    private static let statusesByText = NamedValues(EventStatus.allCases.map { ($0.rawValue, $0) })
    private static let regionsByCode = NamedValues(Region.all.map { ($0.code, $0) })

    /// Up to `limit` characters of `bytes`, for naming a damaged value.
    private static func preview(_ bytes: UnsafeBufferPointer<UInt8>, _ limit: Int) -> Substring {
        String(decoding: bytes, as: UTF8.self).prefix(limit)
    }
}

/// A few values, each named by a short text, found by the text's UTF-8 bytes: a stored
/// kind, status or region is read this way for every event a listing builds.
private struct NamedValues<Value>: Sendable where Value: Sendable {
    private let entries: [(name: [UInt8], value: Value)]

    init(_ pairs: [(String, Value)]) {
        entries = pairs.map { (Array($0.0.utf8), $0.1) }
    }

    func value(named bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        for entry in entries where entry.name.count == bytes.count {
            var index = 0
            while index < bytes.count, entry.name[index] == bytes[index] { index += 1 }
            if index == bytes.count { return entry.value }
        }
        return nil
    }
}

/// Remembers the interchange text of recent slot times. The events of an import share
/// their times (9h30 on a given day), and writing an instant asks the time zone for the
/// Paris offset. Direct-mapped: each time has one place, found by a multiplicative hash of
/// its bits, and a newer time takes the place of an older one; hashing every slot time
/// with the standard library's seeded hasher cost more than the misses this lets through.
/// Its memory is fixed.
struct TimeTextCache {
    private var entries: [(time: EventTime, text: String)?]
    private let placeBits: Int

    /// A cache of `1 << placeBits` places: 16,384 by default, for an import's thousands
    /// of distinct times.
    init(placeBits: Int = 14) {
        self.placeBits = placeBits
        entries = Array(repeating: nil, count: 1 << placeBits)
    }

    mutating func description(_ time: EventTime) -> String {
        let place = place(of: time)
        if let entry = entries[place], entry.time == time { return entry.text }
        let text = time.description
        entries[place] = (time, text)
        return text
    }

    private func place(of time: EventTime) -> Int {
        let bits: UInt64
        switch time {
        case .instant(let instant): bits = instant.timeIntervalSinceReferenceDate.bitPattern
        case .allDay(let day): bits = UInt64(truncatingIfNeeded: day.year &* 416 &+ day.month &* 32 &+ day.day) | 1 << 63
        }
        return Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - placeBits))
    }
}

/// The stored text of one slot time.
///
/// Times are written in their interchange form (`2020-11-17`, `2020-11-10T09:30:00+01:00`),
/// readable in the `sqlite3` shell, whenever that form reads back to the same value. The
/// interchange form has whole seconds only, so an instant with a fraction of a second (or
/// a day outside years 0000–9999) is written exactly instead: `@` and the seconds since
/// the reference date, or `#` and `year,month,day`. Change detection compares stored and
/// incoming events, so a lossy encoding would report a change on every re-import.
enum StoredTime {
    /// The stored text of `time`, whose interchange text is `description`.
    static func text(_ time: EventTime, description: String) -> String {
        if surelyRoundTrips(time) || EventTime(parsing: description) == time { return description }
        switch time {
        case .instant(let instant): return "@" + String(instant.timeIntervalSinceReferenceDate)
        case .allDay(let day): return "#\(day.year),\(day.month),\(day.day)"
        }
    }

    /// Whether the interchange form of `time` surely reads back to it, without parsing it
    /// again: a real day of years 0000–9999, or an instant on a whole second (of the
    /// reference date: the epoch offset is whole, so both are) between 1912 and 9999. Paris
    /// has been on whole-hour offsets since 1911; before, its offset had seconds, which the
    /// interchange form cannot write.
    private static func surelyRoundTrips(_ time: EventTime) -> Bool {
        switch time {
        case .allDay(let day):
            return (0...9999).contains(day.year) && (1...12).contains(day.month) && day.day >= 1
                && day.day <= CivilDate.daysIn(month: day.month, year: day.year)
        case .instant(let instant):
            let seconds = instant.timeIntervalSinceReferenceDate
            return seconds == seconds.rounded(.down) && seconds > -2_800_000_000 && seconds < 252_000_000_000
        }
    }

    static func parse(_ text: Substring) -> EventTime? {
        switch text.first {
        case "@":
            guard let seconds = Double(text.dropFirst()) else { return nil }
            return .instant(Date(timeIntervalSinceReferenceDate: seconds))
        case "#":
            let parts = text.dropFirst().split(separator: ",").compactMap { Int($0) }
            guard parts.count == 3 else { return nil }
            return .allDay(CivilDate(year: parts[0], month: parts[1], day: parts[2]))
        default:
            return EventTime(parsing: text)
        }
    }

    /// The same from UTF-8 bytes; the interchange form, by far the most common, is parsed
    /// without making a string.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> EventTime? {
        switch bytes.first {
        case UInt8(ascii: "@"), UInt8(ascii: "#"): return parse(Substring(String(decoding: bytes, as: UTF8.self)))
        default: return EventTime(utf8: bytes)
        }
    }
}

/// A row of the catalogue that Relais cannot read back: the file was changed by hand or
/// by another program. Reported to callers as a ``CatalogueError`` naming the file.
struct StoredDataProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }

    /// The problem of the event in the current row of `statement`: it has `what`. The
    /// event is named by the row's `id` column, when the statement reads one.
    init(_ statement: SQLiteStatement, has what: String) {
        var id = "?"
        for column in 0..<sqlite3_column_count(statement) {
            guard let name = sqlite3_column_name(statement, column), strcmp(name, "id") == 0 else { continue }
            if let text = sqlite3_column_text(statement, column) { id = String(cString: text) }
            break
        }
        self.init("event '\(id.prefix(80))' has \(what)")
    }

    /// The problem of a column of `statement` that holds neither NULL nor the type expected.
    init(_ statement: SQLiteStatement, unexpectedTypeIn column: Int32) {
        let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "\(column)"
        self.init(statement, has: "a value of an unexpected type in column '\(name)'")
    }
}

/// The columns of a stored event's row, from the first of ``StoredEvent/columns``.
private protocol StoredColumns {
    /// The text of column `index`, nil when NULL; throws when it holds something else.
    func text(_ index: Int32) throws -> String?
    /// The integer of column `index`, nil when NULL; throws when it holds something else.
    func integer(_ index: Int32) throws -> Int64?
    /// Calls `body` with the UTF-8 bytes of text column `index` (nil when NULL), valid
    /// during the call; throws when it holds something else.
    func withBytes<Result>(_ index: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) throws -> Result
}

private struct RowColumns: StoredColumns {
    let row: Row
    let offset: Int

    func text(_ index: Int32) throws -> String? { try row.decode(String?.self, atIndex: offset + Int(index)) }
    func integer(_ index: Int32) throws -> Int64? { try row.decode(Int64?.self, atIndex: offset + Int(index)) }

    func withBytes<Result>(_ index: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) throws -> Result {
        guard var text = try text(index) else { return try body(nil) }
        return try text.withUTF8 { try body($0) }
    }
}

private struct StatementColumns: StoredColumns {
    let statement: SQLiteStatement
    let offset: Int32

    func text(_ index: Int32) throws -> String? {
        try SQLiteColumn.text(statement, offset + index).map {
            String(decoding: UnsafeRawBufferPointer(start: $0.base, count: $0.count), as: UTF8.self)
        }
    }

    func integer(_ index: Int32) throws -> Int64? { try SQLiteColumn.integer(statement, offset + index) }

    func withBytes<Result>(_ index: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> Result) throws -> Result {
        guard let text = try SQLiteColumn.text(statement, offset + index) else { return try body(nil) }
        return try body(UnsafeBufferPointer(start: text.base.assumingMemoryBound(to: UInt8.self), count: text.count))
    }
}

/// A column of the current row of a statement, read with one call that takes the
/// connection's mutex (`sqlite3_column_value`), where asking its type, text and length
/// would take it three times: listings read every column of every row through here. The
/// value is read on the one thread that uses the connection meanwhile.
enum SQLiteColumn {
    /// The text of `column`, nil when NULL, valid until the statement steps; throws
    /// ``StoredDataProblem`` when the column holds another type.
    static func text(_ statement: SQLiteStatement, _ column: Int32) throws -> (base: UnsafeRawPointer, count: Int)? {
        guard let value = sqlite3_column_value(statement, column) else {
            throw StoredDataProblem(statement, unexpectedTypeIn: column)
        }
        switch sqlite3_value_type(value) {
        case SQLITE_NULL:
            return nil
        case SQLITE_TEXT:
            // The text first: asking its length first could convert it twice.
            let base = sqlite3_value_text(value).map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(empty.utf8Start)
            return (base, Int(sqlite3_value_bytes(value)))
        default:
            throw StoredDataProblem(statement, unexpectedTypeIn: column)
        }
    }

    /// The integer of `column`, nil when NULL; throws ``StoredDataProblem`` when the
    /// column holds another type.
    static func integer(_ statement: SQLiteStatement, _ column: Int32) throws -> Int64? {
        guard let value = sqlite3_column_value(statement, column) else {
            throw StoredDataProblem(statement, unexpectedTypeIn: column)
        }
        switch sqlite3_value_type(value) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return sqlite3_value_int64(value)
        default: throw StoredDataProblem(statement, unexpectedTypeIn: column)
        }
    }

    /// Where an empty text points (SQLite may give no address for zero bytes).
    private static let empty: StaticString = ""
}
