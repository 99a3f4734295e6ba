import CLuaShim
import RelaisCore

/// Lays an event out in the byte form the C side turns into a read-only Lua view
/// (see `relais_lua.h`): one length per field (-1 when absent), then the fields' bytes,
/// each in the text form of ``EventFieldTexts`` — the form a store lends for events it has
/// not built, so both reach Lua the same way. No Lua object is made until a script reads
/// a field.
struct EventBlob {
    private(set) var bytes: [UInt8] = []

    init(_ event: Event) {
        var lengths = [Int32](repeating: -1, count: Int(RELAIS_EVENT_FIELDS))
        var payload: [UInt8] = []
        payload.reserveCapacity(256 + (event.description?.utf8.count ?? 0))
        func put(_ field: Int32, _ text: String?) {
            guard let text else { return }
            let start = payload.count
            Self.append(text, to: &payload)
            lengths[Int(field)] = Int32(payload.count - start)
        }
        func putList(_ field: Int32, _ items: [String]) {
            guard !items.isEmpty else { return }
            let start = payload.count
            payload.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { payload.append(UInt8(ascii: ",")) }
                EventJSONWriting.appendString(item, to: &payload)
            }
            payload.append(UInt8(ascii: "]"))
            lengths[Int(field)] = Int32(payload.count - start)
        }
        // Field order must match the RELAIS_FIELD_* enum (and EventFieldTexts.Field).
        put(Int32(RELAIS_FIELD_ID), event.id)
        put(Int32(RELAIS_FIELD_TITLE), event.title)
        put(Int32(RELAIS_FIELD_KIND), event.kind.rawValue)
        put(Int32(RELAIS_FIELD_STATUS), event.status.rawValue)
        let slotsStart = payload.count
        for (index, slot) in event.slots.enumerated() {
            if index > 0 { payload.append(UInt8(ascii: ";")) }
            slot.start.appendText(to: &payload)
            if let end = slot.end {
                payload.append(UInt8(ascii: "/"))
                end.appendText(to: &payload)
            }
        }
        lengths[Int(RELAIS_FIELD_SLOTS)] = Int32(payload.count - slotsStart)
        put(Int32(RELAIS_FIELD_REGION), event.region?.code)
        put(Int32(RELAIS_FIELD_ONLINE), event.online ? "1" : "0")
        put(Int32(RELAIS_FIELD_LAB), event.lab)
        put(Int32(RELAIS_FIELD_ORGANIZER), event.organizer)
        put(Int32(RELAIS_FIELD_PLACE), event.place)
        put(Int32(RELAIS_FIELD_URL), event.url)
        put(Int32(RELAIS_FIELD_CONTACT), event.contact)
        putList(Int32(RELAIS_FIELD_AUDIENCE), event.audience)
        putList(Int32(RELAIS_FIELD_TAGS), event.tags)
        put(Int32(RELAIS_FIELD_DESCRIPTION), event.description)
        bytes.reserveCapacity(lengths.count * 4 + payload.count)
        for length in lengths {
            withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
        }
        bytes.append(contentsOf: payload)
    }

    /// The blob of an event lent as text; every field must be lent.
    init(fields: EventFieldTexts) {
        var size = 4 * EventFieldTexts.fieldCount
        for index in 0..<EventFieldTexts.fieldCount where fields.bases[index] != nil { size += fields.counts[index] }
        bytes.reserveCapacity(size)
        for index in 0..<EventFieldTexts.fieldCount {
            let length = fields.bases[index] == nil ? Int32(-1) : Int32(clamping: fields.counts[index])
            withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for index in 0..<EventFieldTexts.fieldCount {
            guard let base = fields.bases[index] else { continue }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: base, count: fields.counts[index]))
        }
    }

    /// Copies a string's UTF-8 in one block (the generic append walks it byte by byte).
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
