import GRDB
import GRDBSQLite
import RelaisCore

/// Lends the text of the current row of a statement as ``EventFieldTexts``, without
/// copying: the addresses are SQLite's own, valid until the statement steps again. Its
/// buffers are allocated once per listing, not per row.
final class StoredRowFields {
    private let bases = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: EventFieldTexts.fieldCount)
    private let counts = UnsafeMutablePointer<Int>.allocate(capacity: EventFieldTexts.fieldCount)
    /// The interchange text of slots kept in their exact form, which SQLite does not have.
    private var slotText = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
    private var unlent: UInt32 = 0

    private static let one: StaticString = "1"
    private static let zero: StaticString = "0"
    /// Where an empty text points (SQLite gives no address for zero bytes).
    private static let empty: StaticString = ""

    init() {
        bases.initialize(repeating: nil, count: EventFieldTexts.fieldCount)
        counts.initialize(repeating: 0, count: EventFieldTexts.fieldCount)
    }

    deinit {
        bases.deallocate()
        counts.deallocate()
        slotText.deallocate()
    }

    /// The fields ``load(_:columns:firstColumn:)`` read last; those it did not read are
    /// left to `lender`, which finds the event again by `reference`.
    func texts(lender: (any EventFieldLender)?, reference: Int64) -> EventFieldTexts {
        EventFieldTexts(bases: bases, counts: counts, unlent: unlent, lender: lender, reference: reference)
    }

    /// Reads the current row of `statement`, whose columns from `firstColumn` on hold the
    /// fields `columns` in their stored form (as ``StoredEvent`` writes them). The other
    /// fields are marked as not lent. Throws ``StoredDataProblem`` for a row that a program
    /// other than Relais damaged.
    func load(_ statement: SQLiteStatement, columns: [EventFieldTexts.Field], firstColumn: Int32) throws {
        unlent = (1 << UInt32(EventFieldTexts.fieldCount)) - 1
        for field in 0..<EventFieldTexts.fieldCount {
            bases[field] = nil
            counts[field] = 0
        }
        for (offset, field) in columns.enumerated() {
            let column = firstColumn + Int32(offset)
            let index = field.rawValue
            unlent &= ~(1 << UInt32(index))
            let type = sqlite3_column_type(statement, column)
            if field == .online {
                guard type == SQLITE_INTEGER else { throw damaged(statement, columns, firstColumn) }
                let online = sqlite3_column_int64(statement, column) != 0
                bases[index] = UnsafeRawPointer((online ? Self.one : Self.zero).utf8Start)
                counts[index] = 1
                continue
            }
            switch type {
            case SQLITE_NULL:
                break
            case SQLITE_TEXT:
                counts[index] = Int(sqlite3_column_bytes(statement, column))
                bases[index] =
                    sqlite3_column_text(statement, column).map { UnsafeRawPointer($0) }
                    ?? UnsafeRawPointer(Self.empty.utf8Start)
            default:
                throw damaged(statement, columns, firstColumn)
            }
        }
        let slots = EventFieldTexts.Field.slots.rawValue
        if unlent & (1 << UInt32(slots)) == 0, let stored = bases[slots] {
            let bytes = UnsafeRawBufferPointer(start: stored, count: counts[slots])
            if bytes.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "#") }) {
                try lendInterchangeSlots(String(decoding: bytes, as: UTF8.self), statement, columns, firstColumn)
            }
        }
    }

    /// Slot times with a fraction of a second (or outside years 0–9999) are stored in an
    /// exact form; readers get their interchange text, as from an ``Event``.
    private func lendInterchangeSlots(
        _ stored: String, _ statement: SQLiteStatement, _ columns: [EventFieldTexts.Field], _ firstColumn: Int32
    ) throws {
        guard let slots = StoredEvent.unpackSlots(stored) else { throw damaged(statement, columns, firstColumn) }
        var text: [UInt8] = []
        for (index, slot) in slots.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ";")) }
            slot.start.appendText(to: &text)
            if let end = slot.end {
                text.append(UInt8(ascii: "/"))
                end.appendText(to: &text)
            }
        }
        if text.count > slotText.count {
            slotText.deallocate()
            slotText = .allocate(byteCount: text.count, alignment: 1)
        }
        text.withUnsafeBytes { slotText.copyMemory(from: $0) }
        bases[EventFieldTexts.Field.slots.rawValue] = UnsafeRawPointer(slotText.baseAddress)
        counts[EventFieldTexts.Field.slots.rawValue] = text.count
    }

    private func damaged(
        _ statement: SQLiteStatement, _ columns: [EventFieldTexts.Field], _ firstColumn: Int32
    ) -> StoredDataProblem {
        var id = "?"
        if let index = columns.firstIndex(of: .id), let text = sqlite3_column_text(statement, firstColumn + Int32(index)) {
            id = String(cString: text)
        }
        return StoredDataProblem("event '\(id.prefix(80))' has a column of an unexpected type")
    }
}
