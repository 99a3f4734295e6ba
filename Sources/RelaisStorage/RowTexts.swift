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
    private static let tableBytes = Part.allCases.count * entryBytes

    /// The texts of `encoded`, and `words` when given.
    init(_ encoded: StoredEvent, words: String?) {
        var total = Self.tableBytes
        for part in Part.allCases { total += Self.text(part, of: encoded, words: words)?.utf8.count ?? 0 }
        guard total <= Int(Int32.max) else {
            self.init(storage: Self.tooLongTable())
            return
        }
        let storage = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            var end = Self.tableBytes
            for part in Part.allCases {
                var start: Int32 = 0
                var length: Int32 = -1
                if var text = Self.text(part, of: encoded, words: words) {
                    let count = text.withUTF8 { utf8 in
                        if let base = bytes.baseAddress, let source = utf8.baseAddress {
                            (base + end).copyMemory(from: source, byteCount: utf8.count)
                        }
                        return utf8.count
                    }
                    start = Int32(end)
                    length = Int32(count)
                    end += count
                }
                bytes.storeBytes(of: start, toByteOffset: part.rawValue * Self.entryBytes, as: Int32.self)
                bytes.storeBytes(of: length, toByteOffset: part.rawValue * Self.entryBytes + 4, as: Int32.self)
            }
            initialized = end
        }
        self.init(storage: storage)
    }

    /// The texts ``StoredEvent`` would give `event`, and `words` when given, written
    /// straight into the buffer: an import into an empty catalogue needs no other
    /// encoding of its events (it compares none with a stored row), so the packed slots
    /// and lists are made here without a `String` of their own.
    init(_ event: Event, times: inout TimeTextCache, words: String?) {
        // Room for every part (a list's items with their quotes and commas, the slots at
        // their usual length): one allocation.
        var room = Self.tableBytes + event.slots.count * 52 + (words?.utf8.count ?? 0) + 64
        room += event.id.utf8.count + event.title.utf8.count + (event.description?.utf8.count ?? 0)
        room += (event.lab?.utf8.count ?? 0) + (event.organizer?.utf8.count ?? 0) + (event.place?.utf8.count ?? 0)
        room += (event.url?.utf8.count ?? 0) + (event.contact?.utf8.count ?? 0)
        for item in event.audience { room += item.utf8.count + 3 }
        for item in event.tags { room += item.utf8.count + 3 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(room)
        bytes.append(contentsOf: repeatElement(0, count: Self.tableBytes))
        func record(_ part: Part, from start: Int?) {
            let start32 = Int32(truncatingIfNeeded: start ?? 0)
            let length32 = Int32(truncatingIfNeeded: start.map { bytes.count - $0 } ?? -1)
            bytes.withUnsafeMutableBytes { table in
                table.storeBytes(of: start32, toByteOffset: part.rawValue * Self.entryBytes, as: Int32.self)
                table.storeBytes(of: length32, toByteOffset: part.rawValue * Self.entryBytes + 4, as: Int32.self)
            }
        }
        func put(_ part: Part, _ text: String?) {
            guard let text else { return record(part, from: nil) }
            let start = bytes.count
            bytes.append(contentsOf: text.utf8)
            record(part, from: start)
        }
        func putList(_ part: Part, _ items: [String]) {
            guard !items.isEmpty else { return record(part, from: nil) }
            let start = bytes.count
            EventJSONWriting.appendArrayText(items, to: &bytes)
            record(part, from: start)
        }
        for part in Part.allCases {
            switch part {
            case .id: put(part, event.id)
            case .title: put(part, event.title)
            case .kind: put(part, event.kind.rawValue)
            case .status: put(part, event.status.rawValue)
            case .slots:
                let start = bytes.count
                StoredEvent.appendPackedSlots(of: event, texts: &times, to: &bytes)
                record(part, from: start)
            case .region: put(part, event.region?.code)
            case .lab: put(part, event.lab)
            case .organizer: put(part, event.organizer)
            case .place: put(part, event.place)
            case .url: put(part, event.url)
            case .contact: put(part, event.contact)
            case .audience: putList(part, event.audience)
            case .tags: putList(part, event.tags)
            case .description: put(part, event.description)
            case .words: put(part, words)
            }
        }
        // Offsets past Int32 would have been cut short above: such texts are refused.
        guard bytes.count <= Int(Int32.max) else {
            self.init(storage: Self.tooLongTable())
            return
        }
        self.init(storage: bytes)
    }

    private init(storage: [UInt8]) {
        self.storage = storage
    }

    /// The table of texts too long for SQLite altogether: binding any part fails.
    private static func tooLongTable() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.tableBytes) { buffer, initialized in
            let table = UnsafeMutableRawBufferPointer(buffer)
            for part in Part.allCases {
                table.storeBytes(of: 0, toByteOffset: part.rawValue * Self.entryBytes, as: Int32.self)
                table.storeBytes(of: -2, toByteOffset: part.rawValue * Self.entryBytes + 4, as: Int32.self)
            }
            initialized = Self.tableBytes
        }
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
