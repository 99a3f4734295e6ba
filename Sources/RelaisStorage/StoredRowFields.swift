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

    init() {
        bases.initialize(repeating: nil, count: EventFieldTexts.fieldCount)
        counts.initialize(repeating: 0, count: EventFieldTexts.fieldCount)
    }

    deinit {
        bases.deallocate()
        counts.deallocate()
        slotText.deallocate()
    }

    /// The fields ``load(_:columns:firstColumn:)`` did not read, one bit per field.
    var unlentFields: UInt32 { unlent }

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
        let fieldCount = EventFieldTexts.fieldCount
        bases.update(repeating: nil, count: fieldCount)
        counts.update(repeating: 0, count: fieldCount)
        // Kept local until the end: each change to the property would be an access check.
        var unlent: UInt32 = (1 << UInt32(fieldCount)) - 1
        defer { self.unlent = unlent }
        for (offset, field) in columns.enumerated() {
            let index = field.rawValue
            unlent &= ~(1 << UInt32(index))
            guard let text = try Self.storedText(statement, firstColumn + Int32(offset), field) else {
                continue
            }
            bases[index] = text.base
            counts[index] = text.count
        }
        let slots = EventFieldTexts.Field.slots.rawValue
        if unlent & (1 << UInt32(slots)) == 0, let stored = bases[slots] {
            let bytes = UnsafeRawBufferPointer(start: stored, count: counts[slots])
            if bytes.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "#") }) {
                try lendInterchangeSlots(String(decoding: bytes, as: UTF8.self), statement)
            }
        }
    }

    /// The stored text of `field` in `column` of the current row, nil when NULL (`online`,
    /// an integer, as "1" or "0"); valid until the statement steps. Throws
    /// ``StoredDataProblem`` for a column of another type.
    static func storedText(_ statement: SQLiteStatement, _ column: Int32, _ field: EventFieldTexts.Field) throws
        -> (base: UnsafeRawPointer, count: Int)?
    {
        if field == .online {
            guard let online = try SQLiteColumn.integer(statement, column) else {
                throw StoredDataProblem(statement, unexpectedTypeIn: column)
            }
            return (UnsafeRawPointer((online != 0 ? one : zero).utf8Start), 1)
        }
        return try SQLiteColumn.text(statement, column).map { ($0.base, $0.count) }
    }

    /// Slot times with a fraction of a second (or outside years 0–9999) are stored in an
    /// exact form; readers get their interchange text, as from an ``Event``.
    private func lendInterchangeSlots(_ stored: String, _ statement: SQLiteStatement) throws {
        guard let slots = StoredEvent.unpackSlots(stored) else {
            throw StoredDataProblem(statement, has: "unreadable slots '\(stored.prefix(80))'")
        }
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
}

/// Fields of several rows, copied out of SQLite as a listing steps (its addresses are valid
/// only until the next step), to be tested together (``EventFieldBatch``). Its buffers grow
/// to the largest batch and are reused; they are raw memory, because this runs for every
/// row of a filtered listing and Swift arrays in a class pay an exclusivity check per
/// access.
final class StoredFieldBatch {
    private static let fieldCount = EventFieldTexts.fieldCount
    private static let empty: StaticString = ""

    private(set) var count = 0
    private var rowCapacity = 0
    private var bytes = UnsafeMutableRawPointer.allocate(byteCount: 0, alignment: 1)
    private var byteCount = 0
    private var byteCapacity = 0
    /// Per row and field: where the field starts in `bytes`, -1 when absent.
    private var offsets = UnsafeMutablePointer<Int>.allocate(capacity: 0)
    private var counts = UnsafeMutablePointer<Int>.allocate(capacity: 0)
    private var bases = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: 0)
    private var keys = UnsafeMutablePointer<Int64>.allocate(capacity: 0)
    private var unlent: UInt32 = 0

    deinit {
        bytes.deallocate()
        offsets.deallocate()
        counts.deallocate()
        bases.deallocate()
        keys.deallocate()
    }

    /// The reference of row `index`.
    func reference(_ index: Int) -> Int64 { keys[index] }

    /// A batch handed from the thread that filled it to the thread that tests it; the
    /// filling thread lets it go when it hands it over.
    struct Handle: @unchecked Sendable {
        let batch: StoredFieldBatch
        init(_ batch: StoredFieldBatch) { self.batch = batch }
    }

    /// Adds the row whose fields are `fields` (only the lent ones are copied); `unlent`,
    /// the fields not lent (the batch's lender gives them).
    func append(_ fields: EventFieldTexts, unlent: UInt32, reference: Int64) {
        let (offsets, counts) = startRow()
        // A listing lends a few of the fields: walking their bits skips the others.
        let lent = ~unlent & ((1 << UInt32(Self.fieldCount)) - 1)
        var needed = 0
        var bits = lent
        while bits != 0 {
            let field = bits.trailingZeroBitCount
            bits &= bits - 1
            if fields.bases[field] != nil { needed += fields.counts[field] }
        }
        if byteCount + needed > byteCapacity { growBytes(to: byteCount + needed) }
        let bytes = self.bytes
        var end = byteCount
        bits = lent
        while bits != 0 {
            let field = bits.trailingZeroBitCount
            bits &= bits - 1
            guard let base = fields.bases[field] else { continue }
            let length = fields.counts[field]
            offsets[field] = end
            counts[field] = length
            (bytes + end).copyMemory(from: base, byteCount: length)
            end += length
        }
        finishRow(bytesEnd: end, unlent: unlent, reference: reference)
    }

    /// Adds the current row of `statement`, whose columns from `firstColumn` on hold the
    /// fields `columns` in their stored form, copying each text straight from SQLite: what
    /// ``StoredRowFields/load(_:columns:firstColumn:)`` then ``append(_:unlent:reference:)``
    /// do, in one pass, for a listing's every row. `columns` must not hold the slots, whose
    /// stored form is not always their interchange text; the other fields are unlent.
    func appendRow(
        _ statement: SQLiteStatement, columns: [EventFieldTexts.Field], firstColumn: Int32, reference: Int64
    ) throws {
        assert(!columns.contains(.slots), "a batch row's slots must go through StoredRowFields")
        let (offsets, counts) = startRow()
        var unlent: UInt32 = (1 << UInt32(Self.fieldCount)) - 1
        var end = byteCount
        for (offset, field) in columns.enumerated() {
            unlent &= ~(1 << UInt32(field.rawValue))
            guard let text = try StoredRowFields.storedText(statement, firstColumn + Int32(offset), field) else {
                continue
            }
            if end + text.count > byteCapacity {
                byteCount = end
                growBytes(to: end + text.count)
            }
            offsets[field.rawValue] = end
            counts[field.rawValue] = text.count
            (bytes + end).copyMemory(from: text.base, byteCount: text.count)
            end += text.count
        }
        finishRow(bytesEnd: end, unlent: unlent, reference: reference)
    }

    /// Room for one more row, whose fields all start absent: where its offsets and counts go.
    private func startRow() -> (offsets: UnsafeMutablePointer<Int>, counts: UnsafeMutablePointer<Int>) {
        if count == rowCapacity { growRows() }
        let offsets = self.offsets + count * Self.fieldCount
        let counts = self.counts + count * Self.fieldCount
        offsets.update(repeating: -1, count: Self.fieldCount)
        counts.update(repeating: 0, count: Self.fieldCount)
        return (offsets, counts)
    }

    /// Ends the row ``startRow()`` began, whose text ends at `bytesEnd`.
    private func finishRow(bytesEnd: Int, unlent: UInt32, reference: Int64) {
        byteCount = bytesEnd
        keys[count] = reference
        self.unlent = unlent
        count += 1
    }

    func removeAll() {
        count = 0
        byteCount = 0
    }

    /// Calls `body` with the rows as an ``EventFieldBatch`` whose unlent fields `lender`
    /// gives.
    func withBatch<Result>(lender: any EventFieldLender, _ body: (EventFieldBatch) throws -> Result) rethrows -> Result {
        // An empty field needs an address too: any address will do for zero bytes.
        let start = UnsafeRawPointer(byteCapacity > 0 ? bytes : UnsafeMutableRawPointer(mutating: Self.empty.utf8Start))
        for slot in 0..<(count * Self.fieldCount) {
            bases[slot] = offsets[slot] < 0 ? nil : start + offsets[slot]
        }
        return try body(
            EventFieldBatch(count: count, bases: bases, counts: counts, references: keys, unlent: unlent, lender: lender))
    }

    private func growRows() {
        let rows = max(16, rowCapacity * 2)
        let slots = rows * Self.fieldCount
        let newOffsets = UnsafeMutablePointer<Int>.allocate(capacity: slots)
        let newCounts = UnsafeMutablePointer<Int>.allocate(capacity: slots)
        let newKeys = UnsafeMutablePointer<Int64>.allocate(capacity: rows)
        newOffsets.update(from: offsets, count: count * Self.fieldCount)
        newCounts.update(from: counts, count: count * Self.fieldCount)
        newKeys.update(from: keys, count: count)
        offsets.deallocate()
        counts.deallocate()
        keys.deallocate()
        bases.deallocate()
        offsets = newOffsets
        counts = newCounts
        keys = newKeys
        bases = .allocate(capacity: slots)
        rowCapacity = rows
    }

    private func growBytes(to needed: Int) {
        let capacity = max(needed, byteCapacity * 2, 4096)
        let newBytes = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        newBytes.copyMemory(from: bytes, byteCount: byteCount)
        bytes.deallocate()
        bytes = newBytes
        byteCapacity = capacity
    }
}
