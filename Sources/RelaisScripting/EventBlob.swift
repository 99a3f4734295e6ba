import CLuaShim
import RelaisCore

/// Lays an event out in the byte form the C side turns into a read-only Lua view
/// (see `relais_lua.h`): one length per field (-1 when absent), then the fields' bytes;
/// list items are length-prefixed, so no byte inside a tag can split it.
/// Building it costs one pass over the event's strings; no Lua object is made until a
/// script reads a field.
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
        func putItem(_ text: String) {
            let utf8 = text.utf8
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { payload.append(contentsOf: $0) }
            Self.append(text, to: &payload)
        }
        func putTime(_ time: EventTime?) {
            let lengthAt = payload.count
            payload.append(contentsOf: [0, 0, 0, 0])
            time?.appendText(to: &payload)
            let length = UInt32(payload.count - lengthAt - 4).littleEndian
            withUnsafeBytes(of: length) { raw in
                for index in 0..<4 { payload[lengthAt + index] = raw[index] }
            }
        }
        func putList(_ field: Int32, _ items: [String]) {
            guard !items.isEmpty else { return }
            let start = payload.count
            for item in items { putItem(item) }
            lengths[Int(field)] = Int32(payload.count - start)
        }
        // Field order must match the RELAIS_FIELD_* enum.
        put(Int32(RELAIS_FIELD_ID), event.id)
        put(Int32(RELAIS_FIELD_TITLE), event.title)
        put(Int32(RELAIS_FIELD_KIND), event.kind.rawValue)
        put(Int32(RELAIS_FIELD_STATUS), event.status.rawValue)
        let slotsStart = payload.count
        for slot in event.slots {
            putTime(slot.start)
            putTime(slot.end)
        }
        lengths[Int(RELAIS_FIELD_SLOTS)] = Int32(payload.count - slotsStart)
        put(Int32(RELAIS_FIELD_REGION), event.region?.code)
        put(Int32(RELAIS_FIELD_ONLINE), event.online ? "true" : "false")
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

    /// Copies a string's UTF-8 in one block (the generic append walks it byte by byte).
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
