import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting

/// A `TextOutput` that keeps only a byte count: an exporter's cost per event without the
/// cost of a growing string or a file (`StringTextOutput` would reallocate as it grows).
final class DiscardingTextOutput: TextOutput {
    private(set) var byteCount = 0

    func write(_ text: String) throws {
        byteCount &+= text.utf8.count
    }
}

/// The plugin filter `relais query --filter bench.webinar75` would run (the filter of
/// scripts/bench and scripts/bench-lua), loaded through the plugin host as the CLI loads it.
final class LuaFilterFixture {
    /// Kept so that the plugin's Lua state lives as long as the filter.
    let host: PluginHost
    let filter: LuaEventFilter

    static let manifest = #"return { name = "benchmark", version = "1.0.0", limits = { instructions = 1000000000 } }"#
    static let initSource = #"relais.filter("webinar75", function(e) return e.region == "75" and e.kind == "webinar" end)"#

    /// Writes the plugin folder in a temporary directory, loads it, and removes the folder:
    /// a loaded plugin does not read its files again for a filter.
    init() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("relais-per-event-costs-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        let plugin = directory.appendingPathComponent("bench")
        try FileManager.default.createDirectory(at: plugin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.manifest.write(to: plugin.appendingPathComponent("manifest.lua"), atomically: true, encoding: .utf8)
        try Self.initSource.write(to: plugin.appendingPathComponent("init.lua"), atomically: true, encoding: .utf8)
        host = PluginHost(directories: [directory], log: { _ in })
        filter = try host.filter(named: "bench.webinar75")
    }
}

/// Events laid out as a store lends them to a filter (``EventFieldTexts``): every field's
/// UTF-8 text at a stable address, in the stored forms `EventFieldTexts` documents. This is
/// the path `relais query --filter` takes with the SQLite catalogue, which hands the filter
/// a row's text and builds only the events that pass.
final class StoredFieldTexts {
    private let fieldCount = EventFieldTexts.fieldCount
    private let eventCount: Int
    /// One byte buffer per event holding all its fields back to back.
    private var storage: [UnsafeMutableRawBufferPointer] = []
    /// `fieldCount` bases and counts per event, event after event.
    private let bases: UnsafeMutablePointer<UnsafeRawPointer?>
    private let counts: UnsafeMutablePointer<Int>

    init(_ events: [Event]) {
        eventCount = events.count
        bases = .allocate(capacity: events.count * fieldCount)
        bases.initialize(repeating: nil, count: events.count * fieldCount)
        counts = .allocate(capacity: events.count * fieldCount)
        counts.initialize(repeating: 0, count: events.count * fieldCount)
        for (eventIndex, event) in events.enumerated() {
            let fields = Self.storedTexts(event)
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: max(1, fields.reduce(0) { $0 + ($1?.count ?? 0) }), alignment: 1)
            storage.append(buffer)
            var offset = 0
            for (fieldIndex, text) in fields.enumerated() {
                guard let text else { continue }  // absent: a nil base
                let slot = eventIndex * fieldCount + fieldIndex
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + text.count]).copyBytes(from: text)
                bases[slot] = UnsafeRawPointer(buffer.baseAddress! + offset)
                counts[slot] = text.count
                offset += text.count
            }
        }
    }

    deinit {
        for buffer in storage { buffer.deallocate() }
        bases.deinitialize(count: eventCount * fieldCount)
        bases.deallocate()
        counts.deallocate()
    }

    /// The lent text of the `index`-th event (cycled), valid while this object lives.
    @inline(__always)
    func texts(_ index: Int) -> EventFieldTexts {
        let first = (index % eventCount) * fieldCount
        return EventFieldTexts(bases: bases + first, counts: counts + first)
    }

    /// The fields in ``EventFieldTexts/Field`` order; nil for an absent field.
    private static func storedTexts(_ event: Event) -> [[UInt8]?] {
        EventFieldTexts.Field.allCases.map { field -> String? in
            switch field {
            case .id: event.id
            case .title: event.title
            case .kind: event.kind.rawValue
            case .status: event.status.rawValue
            case .slots: event.slots.map { slot in slot.end.map { "\(slot.start)/\($0)" } ?? "\(slot.start)" }
                .joined(separator: ";")
            case .region: event.region?.code
            case .online: event.online ? "1" : "0"
            case .lab: event.lab
            case .organizer: event.organizer
            case .place: event.place
            case .url: event.url
            case .contact: event.contact
            case .audience: jsonArray(event.audience)
            case .tags: jsonArray(event.tags)
            case .description: event.description
            }
        }.map { $0.map { Array($0.utf8) } }
    }

    /// A JSON array of strings, or nil for an empty list (stored as absent).
    private static func jsonArray(_ items: [String]) -> String? {
        guard !items.isEmpty else { return nil }
        let quoted = items.map { item -> String in
            var text = "\""
            for scalar in item.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
                default: text.unicodeScalars.append(scalar)
                }
            }
            return text + "\""
        }
        return "[" + quoted.joined(separator: ",") + "]"
    }
}
