import GRDB
import RelaisCore

/// The texts an import binds for one event, its row's text columns and its search words,
/// laid end to end in one buffer: made on the reading thread for an import into an empty
/// catalogue, which writes every event; otherwise by the writing thread for each event it
/// writes (new or changed), in place of the copy SQLite made of each text before.
///
/// The writing thread binds them where they lie (``DirectStatement/bind(_:inPlace:)``)
/// instead of having SQLite copy each text into memory of its own before it copies it
/// again into the row: that first copy, with its allocation and free, was a tenth of the
/// writing thread's instructions, and the writing thread is what a large import waits for.
struct RowTexts: Sendable {
    /// The texts, in the buffer's order.
    enum Part: Int, CaseIterable {
        case id, title, kind, status, slots, region, lab, organizer, place, url, contact, audience, tags, description
        /// The event's folded search words, when they were made ahead.
        case words
    }

    /// Per part, its start and its length (-1 for NULL, -2 when the texts together are too
    /// long for SQLite) as two `Int32`s, then the texts.
    private let storage: [UInt8]
    fileprivate static let entryBytes = 2 * MemoryLayout<Int32>.size
    fileprivate static let tableBytes = Part.allCases.count * entryBytes

    /// The texts of `encoded`, and `words` when given.
    init(_ encoded: StoredEvent, words: String?) {
        var room = 0
        for part in Part.allCases { room += Self.text(part, of: encoded, words: words)?.utf8.count ?? 0 }
        var layout = Layout(room: room)
        for part in Part.allCases { layout.put(part, Self.text(part, of: encoded, words: words)) }
        self.init(layout)
    }

    /// The texts ``StoredEvent`` would give `event`, and `words` when given, written
    /// straight into the buffer: an import into an empty catalogue needs no other
    /// encoding of its events (it compares none with a stored row), so the packed slots
    /// and lists are made here without a `String` of their own.
    init(_ event: Event, times: inout TimeTextCache, words: String?) {
        // Room for every part (a list's items with their quotes and commas, the slots at
        // their usual length): one allocation.
        var room = event.slots.count * 52 + (words?.utf8.count ?? 0) + 64
        room += event.id.utf8.count + event.title.utf8.count + (event.description?.utf8.count ?? 0)
        room += (event.lab?.utf8.count ?? 0) + (event.organizer?.utf8.count ?? 0) + (event.place?.utf8.count ?? 0)
        room += (event.url?.utf8.count ?? 0) + (event.contact?.utf8.count ?? 0)
        for item in event.audience { room += item.utf8.count + 3 }
        for item in event.tags { room += item.utf8.count + 3 }
        var layout = Layout(room: room)
        for part in Part.allCases {
            switch part {
            case .id: layout.put(part, event.id)
            case .title: layout.put(part, event.title)
            case .kind: layout.put(part, event.kind.rawValue)
            case .status: layout.put(part, event.status.rawValue)
            case .slots: layout.put(part) { StoredEvent.appendPackedSlots(of: event, texts: &times, to: &$0) }
            case .region: layout.put(part, event.region?.code)
            case .lab: layout.put(part, event.lab)
            case .organizer: layout.put(part, event.organizer)
            case .place: layout.put(part, event.place)
            case .url: layout.put(part, event.url)
            case .contact: layout.put(part, event.contact)
            case .audience: layout.putList(part, event.audience)
            case .tags: layout.putList(part, event.tags)
            case .description: layout.put(part, event.description)
            case .words: layout.put(part, words)
            }
        }
        self.init(layout)
    }

    /// The buffer as it is laid out: the table, then each part's text appended in turn.
    private struct Layout {
        var bytes: [UInt8] = []

        init(room: Int) {
            bytes.reserveCapacity(RowTexts.tableBytes + room)
            bytes.append(contentsOf: repeatElement(0, count: RowTexts.tableBytes))
        }

        /// Appends the text of `part`, which `append` writes.
        mutating func put(_ part: Part, _ append: (inout [UInt8]) -> Void) {
            let start = bytes.count
            append(&bytes)
            record(part, start: start, length: bytes.count - start)
        }

        mutating func put(_ part: Part, _ text: String?) {
            guard let text else { return record(part, start: 0, length: -1) }
            put(part) { $0.append(contentsOf: text.utf8) }
        }

        /// Writes the table's entry of `part` (past `Int32`, the buffer is refused as a
        /// whole by ``RowTexts/init(_:)``).
        private mutating func record(_ part: Part, start: Int, length: Int) {
            bytes.withUnsafeMutableBytes { table in
                let offset = part.rawValue * RowTexts.entryBytes
                table.storeBytes(of: Int32(truncatingIfNeeded: start), toByteOffset: offset, as: Int32.self)
                table.storeBytes(of: Int32(truncatingIfNeeded: length), toByteOffset: offset + 4, as: Int32.self)
            }
        }

        /// A list as a JSON array, NULL when empty (as ``StoredEvent/packList(_:)``).
        mutating func putList(_ part: Part, _ items: [String]) {
            guard !items.isEmpty else { return record(part, start: 0, length: -1) }
            put(part) { EventJSONWriting.appendArrayText(items, to: &$0) }
        }
    }

    /// The laid-out buffer; texts too long for SQLite altogether (offsets past `Int32`)
    /// give a table whose every part fails to bind.
    private init(_ layout: Layout) {
        guard layout.bytes.count <= Int(Int32.max) else {
            storage = [UInt8](unsafeUninitializedCapacity: Self.tableBytes) { buffer, initialized in
                let table = UnsafeMutableRawBufferPointer(buffer)
                for part in Part.allCases {
                    table.storeBytes(of: 0, toByteOffset: part.rawValue * Self.entryBytes, as: Int32.self)
                    table.storeBytes(of: -2, toByteOffset: part.rawValue * Self.entryBytes + 4, as: Int32.self)
                }
                initialized = Self.tableBytes
            }
            return
        }
        storage = layout.bytes
    }

    /// Whether both hold the same texts, laid out the same way.
    func hasSameBytes(as other: RowTexts) -> Bool { storage == other.storage }

    /// The text of `part`; exhaustive, so that a new part cannot be left out.
    private static func text(_ part: Part, of encoded: StoredEvent, words: String?) -> String? {
        switch part {
        case .id: encoded.id
        case .title: encoded.title
        case .kind: encoded.kind
        case .status: encoded.status
        case .slots: encoded.slots
        case .region: encoded.region
        case .lab: encoded.lab
        case .organizer: encoded.organizer
        case .place: encoded.place
        case .url: encoded.url
        case .contact: encoded.contact
        case .audience: encoded.audience
        case .tags: encoded.tags
        case .description: encoded.description
        case .words: words
        }
    }

    /// Whether the search words were given.
    var hasWords: Bool { storage.withUnsafeBytes { Self.length(of: .words, in: $0) >= 0 } }

    /// Calls `body` with the texts, which stay where they are until it returns (and not a
    /// moment longer: a statement bound in place must be cleared inside `body`).
    func withTexts<Result>(_ body: (Texts) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(Texts(bytes: $0)) }
    }

    /// The texts, lent by ``withTexts(_:)``.
    struct Texts {
        fileprivate let bytes: UnsafeRawBufferPointer

        /// The UTF-8 of `part`, or nil for NULL. Throws SQLite's "too big" error when the
        /// texts were too long to be laid out.
        func text(_ part: Part) throws -> UnsafeRawBufferPointer? {
            let length = RowTexts.length(of: part, in: bytes)
            if length == -2 { throw DatabaseError(resultCode: .SQLITE_TOOBIG, message: "string or blob too big") }
            guard length >= 0 else { return nil }
            let start = Int(bytes.loadUnaligned(fromByteOffset: part.rawValue * RowTexts.entryBytes, as: Int32.self))
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(length))])
        }
    }

    private static func length(of part: Part, in bytes: UnsafeRawBufferPointer) -> Int32 {
        bytes.loadUnaligned(fromByteOffset: part.rawValue * Self.entryBytes + 4, as: Int32.self)
    }
}
