import Foundation
import RelaisCore
import RelaisStorage
import Testing

/// A unique folder under the system temp folder, removed with everything in it when the
/// value is released. Each test opens its catalogues here.
final class ScratchFolder: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("relais-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The bytes of `name`, to check that a file did not change.
    func contents(_ name: String) throws -> Data { try Data(contentsOf: url.appendingPathComponent(name)) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A value shared with `@Sendable` closures (bus subscribers, threads), behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    var current: Value { withValue { $0 } }
}

struct BadTime: Error { let text: String }

/// A time in one of the contract's forms.
func time(_ text: String) throws -> EventTime {
    guard let time = EventTime(parsing: text) else { throw BadTime(text: text) }
    return time
}

/// A slot from interchange texts.
func slot(_ start: String, _ end: String? = nil) throws -> Slot {
    Slot(start: try time(start), end: try end.map(time))
}

/// An event with sensible defaults, so that each test states only what it is about.
func makeEvent(
    _ id: String, title: String = "Atelier", kind: EventKind = .workshop, status: EventStatus = .scheduled,
    slots: [Slot]? = nil, region: String? = nil, online: Bool = false, lab: String? = nil,
    organizer: String? = nil, place: String? = nil, tags: [String] = [], description: String? = nil
) throws -> Event {
    Event(
        id: id, title: title, kind: kind, status: status,
        slots: try slots ?? [slot("2020-11-10T09:30", "2020-11-10T11:30")],
        region: region.flatMap { Region(code: $0) }, online: online, lab: lab, organizer: organizer, place: place,
        tags: tags, description: description)
}

/// Imports `events` in one batch.
@discardableResult
func importEvents(
    _ events: [Event], into catalogue: SQLiteCatalogue, origin: String = "test.jsonl", dryRun: Bool = false
) throws -> ImportReport {
    try catalogue.importBatch(origin: origin, dryRun: dryRun) { session in
        for event in events { try session.put(event) }
    }
}

/// The ids `forEachEvent` lists for `query`, in order.
func listedIDs(_ catalogue: SQLiteCatalogue, _ query: EventQuery = EventQuery()) throws -> [String] {
    var ids: [String] = []
    try catalogue.forEachEvent(matching: query) { event in
        ids.append(event.id)
        return true
    }
    return ids
}

/// The ids the reference semantics (`EventQuery.matches`, first start then id) select.
func referenceIDs(_ events: [Event], _ query: EventQuery) -> [String] {
    let selected = events.filter(query.matches).sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }
    let ids = selected.map(\.id)
    guard let limit = query.limit else { return ids }
    return Array(ids.prefix(max(limit, 0)))
}

/// A deterministic synthetic programme of `count` events, with every field exercised.
func syntheticEvents(_ count: Int, idPrefix: String = "evt") throws -> [Event] {
    let kinds = EventKind.allCases
    let regions = Region.all
    let words = ["innovation", "numérique", "cœur", "usagers", "données", "simplification", "atelier", "agents"]
    var events: [Event] = []
    events.reserveCapacity(count)
    for index in 0..<count {
        let day = 1 + index % 28
        let hour = 8 + index % 10
        let start = String(format: "2020-11-%02dT%02d:%02d", day, hour, (index * 7) % 60)
        let end = String(format: "2020-11-%02dT%02d:%02d", day, hour + 1, (index * 7) % 60)
        var slots = [try slot(start, end)]
        if index % 5 == 0 { slots.append(try slot(String(format: "2020-12-%02d", day))) }
        events.append(
            Event(
                id: "\(idPrefix)-\(index)", title: "Événement \(index) \(words[index % words.count])",
                kind: kinds[index % kinds.count], status: index % 13 == 0 ? .cancelled : .scheduled, slots: slots,
                region: index % 7 == 0 ? nil : regions[index % regions.count], online: index % 3 == 0,
                lab: index % 4 == 0 ? "lab-\(index % 9)" : nil, organizer: "Organisateur \(index % 50)",
                place: index % 2 == 0 ? "Salle \(index % 30)" : nil, audience: ["agents"],
                tags: [words[(index + 3) % words.count]],
                description: "Description de l’événement \(index) autour de \(words[(index + 5) % words.count])."))
    }
    return events
}
