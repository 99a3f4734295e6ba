import Foundation
import RelaisCore

/// Turns the VEVENTs of a file into events (contract §1, iCalendar paragraph).
///
/// Each VEVENT becomes an interchange record that ``EventRecordDecoding`` validates, so
/// an event means the same as in JSON. VEVENTs sharing `X-RELAIS-ID` are the slots of one
/// event; `RECURRENCE-ID` instances change or cancel an occurrence of the VEVENT with
/// their UID. Errors name the file, the VEVENT (UID and BEGIN line) and the property.
struct ICalendarEventBuilder {
    /// The most occurrences one RRULE may give.
    static let occurrenceLimit = 1000

    /// An event and the VEVENT errors about it point to (its first).
    struct Built {
        var event: Event
        var origin: ICalendarVEvent
    }

    let file: String
    private let zones = ZoneCache()

    /// TimeZone lookups by TZID, which are slow on Linux, done once a file.
    private final class ZoneCache {
        var byName: [String: TimeZone] = [:]
    }

    init(file: String) {
        self.file = file
    }

    /// A VEVENT with the properties that decide where it belongs.
    fileprivate struct Item {
        var vevent: ICalendarVEvent
        var uid: String
        var recurrenceID: ICalendarTime?
        var relaisID: String?
    }

    /// One slot in interchange form, with the VEVENT it comes from.
    private struct PlannedSlot {
        var start: String
        var end: String?
        var origin: ICalendarVEvent
    }

    /// How long each occurrence lasts.
    private enum Length {
        case none
        /// All-day: DTEND minus DTSTART in days (DTEND is exclusive).
        case days(Int)
        /// From DTSTART to DTEND, exact: the first occurrence ends at DTEND, the others as
        /// long after their start.
        case until(start: ICalendarTime, end: ICalendarTime)
        case duration(ICalendarDuration)
    }

    private enum OccurrenceKey: Hashable {
        case day(CivilDate)
        case instant(Int)

        init(_ time: ICalendarTime) {
            if let seconds = time.epochSeconds { self = .instant(seconds) } else { self = .day(time.day) }
        }
    }

    // MARK: Events

    /// The events of `vevents`, in the order of their first VEVENT (the whole file at once:
    /// for tests; the reader streams through ``Grouper``).
    func events(from vevents: [ICalendarVEvent]) throws -> [Built] {
        var built: [Built] = []
        let grouper = Grouper(builder: self, window: Int.max)
        for vevent in vevents { try grouper.add(vevent) { built.append($0) } }
        try grouper.finish { built.append($0) }
        return built
    }

    /// Groups VEVENTs into events as they come, and builds each event once it is old
    /// enough: when `window` VEVENTs came after its first one, or at the end of the file.
    /// The VEVENTs of one event (its `X-RELAIS-ID` group, its `RECURRENCE-ID` instances)
    /// may come in any order within that window — a file Relais writes keeps them
    /// together — so memory holds at most `window` VEVENTs, whatever the size of the file.
    /// A VEVENT of an event already built is an event of its own, which the store then
    /// refuses as a duplicate id; an instance whose series never came is an error.
    final class Grouper {
        private let builder: ICalendarEventBuilder
        private let window: Int
        /// Pending groups' event ids in the order of their first VEVENT, with the VEVENT
        /// count at that first VEVENT.
        private var order: [(id: String, openedAt: Int)] = []
        private var firstPending = 0
        private var groups: [String: [Item]] = [:]
        /// Pending series (VEVENTs without RECURRENCE-ID) by UID: their line.
        private var masterLineByUID: [String: Int] = [:]
        /// Instances by the UID of their series, waiting for it to be built.
        private var instancesByUID: [String: [Item]] = [:]
        private var seen = 0
        /// Instances in `instancesByUID`.
        private var waitingInstances = 0

        init(builder: ICalendarEventBuilder, window: Int) {
            self.builder = builder
            self.window = window
        }

        /// Takes the next VEVENT; `emit` gets each event that is complete.
        func add(_ vevent: ICalendarVEvent, _ emit: (Built) throws -> Void) throws {
            let item = try builder.item(vevent)
            seen += 1
            if item.recurrenceID != nil {
                instancesByUID[item.uid, default: []].append(item)
                waitingInstances += 1
                // Instances wait for their series; past the window none of them may still
                // be coming, and memory must not hold them.
                if waitingInstances > window, masterLineByUID[item.uid] == nil {
                    throw builder.failure(
                        item.vevent, field: "RECURRENCE-ID",
                        "no VEVENT with UID '\(item.uid.prefix(80))' and without RECURRENCE-ID within \(window) VEVENTs to apply this instance to")
                }
            } else {
                if let earlier = masterLineByUID[item.uid] {
                    throw builder.failure(
                        item.vevent, field: "UID",
                        "is already the UID of the VEVENT at line \(earlier); only RECURRENCE-ID instances may share a UID")
                }
                let id = item.relaisID ?? item.uid
                if let group = groups[id], let first = group.first {
                    guard item.relaisID != nil, first.relaisID != nil else {
                        throw builder.failure(
                            item.vevent, field: item.relaisID == nil ? "UID" : "X-RELAIS-ID",
                            "event id '\(id.prefix(80))' is already used by the VEVENT at line \(first.vevent.beginLine)")
                    }
                    groups[id]?.append(item)
                } else {
                    groups[id] = [item]
                    order.append((id, seen))
                }
                masterLineByUID[item.uid] = vevent.beginLine
            }
            while firstPending < order.count, seen - order[firstPending].openedAt >= window {
                try buildOldest(emit)
            }
        }

        /// Builds every pending event; an instance left without its series is an error.
        func finish(_ emit: (Built) throws -> Void) throws {
            while firstPending < order.count { try buildOldest(emit) }
            if let orphan = instancesByUID.values.compactMap(\.first).min(by: { $0.vevent.beginLine < $1.vevent.beginLine }) {
                throw builder.failure(
                    orphan.vevent, field: "RECURRENCE-ID",
                    "no VEVENT with UID '\(orphan.uid.prefix(80))' and without RECURRENCE-ID to apply this instance to")
            }
        }

        private func buildOldest(_ emit: (Built) throws -> Void) throws {
            let id = order[firstPending].id
            firstPending += 1
            if firstPending > 4096, firstPending * 2 > order.count {
                order.removeFirst(firstPending)
                firstPending = 0
            }
            guard let group = groups.removeValue(forKey: id) else { return }
            var instances: [String: [Item]] = [:]
            for member in group {
                masterLineByUID[member.uid] = nil
                instances[member.uid] = instancesByUID.removeValue(forKey: member.uid)
                waitingInstances -= instances[member.uid]?.count ?? 0
            }
            try emit(try builder.build(group: group, instances: instances))
        }
    }

    /// Builds the event of `group` (VEVENTs sharing an id, in file order) with the
    /// RECURRENCE-ID instances of each member's UID.
    fileprivate func build(group: [Item], instances: [String: [Item]]) throws(ImportError) -> Built {
        guard let first = group.first else {
            throw ImportError(file: file, location: nil, message: "an event without VEVENT")
        }
        try checkAgreement(of: group, overrides: group.flatMap { instances[$0.uid] ?? [] })
        var slots: [PlannedSlot] = []
        var uncancelled: [PlannedSlot] = []
        for member in group {
            let expanded = try occurrences(of: member, overrides: instances[member.uid] ?? [])
            slots += expanded.kept
            uncancelled += expanded.all
        }
        var cancelledByInstances = false
        if slots.isEmpty {
            // Every occurrence is cancelled: the event is cancelled, not deleted.
            slots = uncancelled
            cancelledByInstances = true
        }
        let event = try event(id: first.relaisID ?? first.uid, first: first, slots: slots, cancelled: cancelledByInstances)
        return Built(event: event, origin: first.vevent)
    }

    fileprivate func item(_ vevent: ICalendarVEvent) throws(ImportError) -> Item {
        guard let uid = vevent.uid else {
            throw ImportError(file: file, location: .line(vevent.beginLine), field: "UID", message: "VEVENT has no UID")
        }
        var recurrenceID: ICalendarTime?
        var relaisID: String?
        try at(vevent) { () throws(ICalendarProblem) in
            if let property = try vevent.single("RECURRENCE-ID") {
                if property.parameter("RANGE") != nil {
                    throw ICalendarProblem(
                        field: "RECURRENCE-ID", message: "RANGE is not supported: give one instance per occurrence")
                }
                recurrenceID = try time(property, field: "RECURRENCE-ID")
            }
            relaisID = try vevent.text("X-RELAIS-ID").map { ICalendarText.trimmed($0) }
            if relaisID?.isEmpty == true { relaisID = nil }
        }
        return Item(vevent: vevent, uid: uid, recurrenceID: recurrenceID, relaisID: relaisID)
    }

    /// Builds the record from the group's first VEVENT and runs it through the shared
    /// decoding.
    private func event(id: String, first: Item, slots: [PlannedSlot], cancelled: Bool) throws(ImportError) -> Event {
        let vevent = first.vevent
        var record = try fields(of: vevent)
        record["id"] = .string(id)
        if cancelled { record["status"] = .string(EventStatus.cancelled.rawValue) }
        record["slots"] = .array(
            slots.map { slot in
                var fields: [String: InterchangeValue] = ["start": .string(slot.start)]
                if let end = slot.end { fields["end"] = .string(end) }
                return .object(fields)
            })
        do {
            return try EventRecordDecoding.event(from: record)
        } catch {
            if let (index, part) = Self.slotField(error.field), slots.indices.contains(index) {
                let origin = slots[index].origin
                throw ImportError(
                    file: file, location: origin.location, field: part == "start" ? "DTSTART" : "DTEND",
                    message: error.message)
            }
            throw ImportError(
                file: file, location: vevent.location, field: Self.property(for: error.field, in: vevent),
                message: error.message)
        }
    }

    /// The interchange fields a VEVENT gives its event, but its id and slots, with the
    /// values this reader checks itself (STATUS, X-RELAIS-ONLINE) checked.
    private func fields(of vevent: ICalendarVEvent) throws(ImportError) -> [String: InterchangeValue] {
        var record: [String: InterchangeValue] = [:]
        try at(vevent) { () throws(ICalendarProblem) in
            if let title = try vevent.text("SUMMARY") { record["title"] = .string(title) }
            record["kind"] = .string(try vevent.text("X-RELAIS-KIND") ?? EventKind.other.rawValue)

            var status = try vevent.text("X-RELAIS-STATUS") ?? EventStatus.scheduled.rawValue
            if let value = try vevent.single("STATUS").map({ ICalendarText.keyword($0.value) }) {
                switch value {
                case "CANCELLED": status = EventStatus.cancelled.rawValue
                case "CONFIRMED", "TENTATIVE": break
                default:
                    throw ICalendarProblem(
                        field: "STATUS", message: "'\(value.prefix(30))' is not a VEVENT status (TENTATIVE, CONFIRMED, CANCELLED)")
                }
            }
            record["status"] = .string(status)
            if let region = try vevent.text("X-RELAIS-REGION").map({ ICalendarText.trimmed($0) }), !region.isEmpty {
                record["region"] = .string(region)
            }
            if let online = try vevent.text("X-RELAIS-ONLINE") {
                switch ICalendarText.keyword(online) {
                case "TRUE": record["online"] = .bool(true)
                case "FALSE", "": record["online"] = .bool(false)
                default:
                    throw ICalendarProblem(field: "X-RELAIS-ONLINE", message: "must be TRUE or FALSE, not '\(online.prefix(30))'")
                }
            }
            if let lab = try vevent.text("X-RELAIS-LAB") { record["lab"] = .string(lab) }

            let organizerProperty = try vevent.single("ORGANIZER")
            var address: String?
            if let value = organizerProperty.map({ ICalendarText.trimmed($0.value) }),
                ICalendarText.keyword(value.prefix(7)) == "MAILTO:"
            {
                let raw = String(value.dropFirst("mailto:".count))
                address = raw.removingPercentEncoding ?? raw
            }
            if let organizer = try vevent.text("X-RELAIS-ORGANIZER") ?? organizerProperty?.parameter("CN") {
                record["organizer"] = .string(organizer)
            }
            if let contact = try vevent.text("X-RELAIS-CONTACT") ?? address { record["contact"] = .string(contact) }
            if let place = try vevent.text("LOCATION") { record["place"] = .string(place) }
            let plainURL = try vevent.single("URL")?.value
            if let url = try vevent.text("X-RELAIS-URL") ?? plainURL { record["url"] = .string(url) }
            let audience = vevent.textList("X-RELAIS-AUDIENCE")
            if !audience.isEmpty { record["audience"] = .array(audience.map(InterchangeValue.string)) }
            let tags = vevent.textList("CATEGORIES")
            if !tags.isEmpty { record["tags"] = .array(tags.map(InterchangeValue.string)) }
            if let description = try vevent.text("DESCRIPTION") { record["description"] = .string(description) }
        }
        return record
    }

    /// Checks that each VEVENT of an event after the first agrees with the first on what
    /// it gives (as the rows of one event in CSV must agree): it may leave a property out
    /// and bring only its slot, but a value it gives differently would otherwise be
    /// dropped unread. A RECURRENCE-ID instance may change its occurrence (only its
    /// STATUS:CANCELLED is kept), but its values must be valid.
    private func checkAgreement(of group: [Item], overrides: [Item]) throws(ImportError) {
        guard let first = group.first, group.count > 1 || !overrides.isEmpty else { return }
        let expected = try fields(of: first.vevent)
        for member in group.dropFirst() {
            var given = try fields(of: member.vevent)
            // Defaults the reader fills in, not values the VEVENT gives.
            if member.vevent.properties["X-RELAIS-KIND"] == nil { given["kind"] = nil }
            if member.vevent.properties["STATUS"] == nil && member.vevent.properties["X-RELAIS-STATUS"] == nil {
                given["status"] = nil
            }
            for key in given.keys.sorted() where expected[key] != given[key] {
                throw failure(
                    member.vevent, field: Self.property(for: key, in: member.vevent),
                    "differs from the VEVENT at line \(first.vevent.beginLine) of the same event "
                        + "(X-RELAIS-ID '\((member.relaisID ?? member.uid).prefix(80))'): its VEVENTs must agree")
            }
        }
        for instance in overrides {
            var record = try fields(of: instance.vevent)
            record["id"] = .string(first.relaisID ?? first.uid)
            record["slots"] = .array([.object(["start": .string("2020-01-01")])])
            if record["title"] == nil { record["title"] = expected["title"] ?? .string("-") }
            do {
                _ = try EventRecordDecoding.event(from: record)
            } catch {
                throw failure(instance.vevent, field: Self.property(for: error.field, in: instance.vevent), error.message)
            }
        }
    }

    /// `slots[3].end` → (3, "end"); `slots[3]` → (3, "").
    private static func slotField(_ field: String) -> (Int, String)? {
        guard field.hasPrefix("slots["), let close = field.firstIndex(of: "]") else { return nil }
        let digits = field[field.index(field.startIndex, offsetBy: 6)..<close]
        guard let index = Int(digits) else { return nil }
        let rest = field[field.index(after: close)...]
        return (index, rest.hasPrefix(".") ? String(rest.dropFirst()) : "")
    }

    /// The iCalendar property that carries an interchange field in `vevent`.
    static func property(for field: String, in vevent: ICalendarVEvent) -> String {
        func has(_ name: String) -> Bool { vevent.properties[name] != nil }
        switch field {
        case "id": return has("X-RELAIS-ID") ? "X-RELAIS-ID" : "UID"
        case "title": return "SUMMARY"
        case "kind": return "X-RELAIS-KIND"
        case "status": return has("X-RELAIS-STATUS") ? "X-RELAIS-STATUS" : "STATUS"
        case "region": return "X-RELAIS-REGION"
        case "online": return "X-RELAIS-ONLINE"
        case "lab": return "X-RELAIS-LAB"
        case "organizer": return has("X-RELAIS-ORGANIZER") ? "X-RELAIS-ORGANIZER" : "ORGANIZER"
        case "contact": return has("X-RELAIS-CONTACT") ? "X-RELAIS-CONTACT" : "ORGANIZER"
        case "place": return "LOCATION"
        case "url": return has("X-RELAIS-URL") ? "X-RELAIS-URL" : "URL"
        case "description": return "DESCRIPTION"
        default:
            if field.hasPrefix("slots") { return "DTSTART" }
            if field.hasPrefix("audience") { return "X-RELAIS-AUDIENCE" }
            if field.hasPrefix("tags") { return "CATEGORIES" }
            return field
        }
    }

    // MARK: Occurrences

    /// The slots of one VEVENT: its RRULE and RDATEs expanded, EXDATEs removed, then its
    /// RECURRENCE-ID instances applied. `all` ignores the cancelling instances.
    private func occurrences(of master: Item, overrides: [Item]) throws(ImportError) -> (
        kept: [PlannedSlot], all: [PlannedSlot]
    ) {
        let vevent = master.vevent
        var slots: [PlannedSlot] = []
        var removed: [Bool] = []
        var index: [OccurrenceKey: Int] = [:]
        var indexByDay: [CivilDate: Int] = [:]
        var masterLength = Length.none
        var masterIsDate = false
        try at(vevent) { () throws(ICalendarProblem) in
            guard let startProperty = try vevent.single("DTSTART") else {
                throw ICalendarProblem(field: "DTSTART", message: "is required")
            }
            let start = try time(startProperty, field: "DTSTART")
            masterIsDate = start.isDate
            masterLength = try length(of: vevent, start: start)
            let sameDayEnd = try hasSameDayEnd(vevent)
            var starts = [start]
            if let rule = try vevent.single("RRULE") {
                let zone: ICalendarZone
                if case .dateTime(_, let startZone) = start { zone = startZone } else { zone = .floating }
                starts = try ICalendarRecurrenceRule(parsing: ICalendarText.trimmed(rule.value), untilZone: zone)
                    .occurrences(from: start, limit: Self.occurrenceLimit)
            }
            let extra = try times(vevent.all("RDATE"), field: "RDATE")
            if !extra.isEmpty {
                var known = Set(starts.map(OccurrenceKey.init))
                for time in extra where known.insert(OccurrenceKey(time)).inserted { starts.append(time) }
                if starts.count > Self.occurrenceLimit {
                    throw ICalendarProblem(
                        field: "RDATE",
                        message: "RRULE and RDATE give more than \(Self.occurrenceLimit) occurrences, the most one event may have")
                }
                starts.sort { Self.sortKey($0) < Self.sortKey($1) }
            }
            let excluded = try times(vevent.all("EXDATE"), field: "EXDATE")
            if !excluded.isEmpty {
                let keys = Set(excluded.map(OccurrenceKey.init))
                let anyDays = Set(excluded.map(\.day))
                let dateDays = Set(excluded.filter(\.isDate).map(\.day))
                starts.removeAll { time in
                    time.isDate ? anyDays.contains(time.day) : keys.contains(OccurrenceKey(time)) || dateDays.contains(time.day)
                }
                if starts.isEmpty { throw ICalendarProblem(field: "EXDATE", message: "excludes every occurrence") }
            }
            for time in starts {
                if !overrides.isEmpty {
                    let key = OccurrenceKey(time)
                    if index[key] == nil { index[key] = slots.count }
                    if indexByDay[time.day] == nil { indexByDay[time.day] = slots.count }
                }
                slots.append(slot(start: time, length: masterLength, sameDayEnd: sameDayEnd, origin: vevent))
                removed.append(false)
            }
        }

        var all = slots
        var seen: [OccurrenceKey: Int] = [:]
        for instance in overrides {
            guard let recurrenceID = instance.recurrenceID else { continue }
            try at(instance.vevent) { () throws(ICalendarProblem) in
                let key = OccurrenceKey(recurrenceID)
                if let earlier = seen[key] {
                    throw ICalendarProblem(
                        field: "RECURRENCE-ID", message: "the VEVENT at line \(earlier) already changes this occurrence")
                }
                seen[key] = instance.vevent.beginLine
                let position = index[key] ?? (recurrenceID.isDate != masterIsDate ? indexByDay[recurrenceID.day] : nil)
                let status = try instance.vevent.single("STATUS").map { ICalendarText.keyword($0.value) }
                if status == "CANCELLED" {
                    if let position { removed[position] = true }
                    return
                }
                var start = recurrenceID
                if let property = try instance.vevent.single("DTSTART") { start = try time(property, field: "DTSTART") }
                let hasOwnLength =
                    instance.vevent.properties["DTEND"] != nil || instance.vevent.properties["DURATION"] != nil
                let length = hasOwnLength ? try self.length(of: instance.vevent, start: start) : masterLength
                let replacement = slot(
                    start: start, length: length, sameDayEnd: try hasSameDayEnd(instance.vevent), origin: instance.vevent)
                if let position {
                    slots[position] = replacement
                    all[position] = replacement
                } else {
                    slots.append(replacement)
                    all.append(replacement)
                    removed.append(false)
                }
            }
        }
        let kept = zip(slots, removed).compactMap { slot, isRemoved in isRemoved ? nil : slot }
        return (kept, all)
    }

    private static func sortKey(_ time: ICalendarTime) -> Int {
        time.epochSeconds ?? Int(ParisTime.startOfDay(time.day).timeIntervalSince1970.rounded())
    }

    /// `X-RELAIS-SAME-DAY-END:TRUE`: the all-day slot has an explicit end equal to its
    /// start (`"end": "2020-11-17"` rather than no end); iCalendar cannot say it otherwise.
    private func hasSameDayEnd(_ vevent: ICalendarVEvent) throws(ICalendarProblem) -> Bool {
        try vevent.text("X-RELAIS-SAME-DAY-END").map { ICalendarText.keyword($0) } == "TRUE"
    }

    private func length(of vevent: ICalendarVEvent, start: ICalendarTime) throws(ICalendarProblem) -> Length {
        let endProperty = try vevent.single("DTEND")
        let durationProperty = try vevent.single("DURATION")
        if endProperty != nil && durationProperty != nil {
            throw ICalendarProblem(field: "DURATION", message: "cannot be given together with DTEND")
        }
        if let endProperty {
            let end = try time(endProperty, field: "DTEND")
            switch (start, end) {
            case (.date(let first), .date(let last)):
                return .days(last.daysSinceEpoch - first.daysSinceEpoch)
            case (.dateTime, .dateTime):
                return .until(start: start, end: end)
            case (.date, .dateTime):
                throw ICalendarProblem(
                    field: "DTEND", message: "is a date-time but DTSTART is a date (VALUE=DATE): both must be of the same kind")
            case (.dateTime, .date):
                throw ICalendarProblem(
                    field: "DTEND", message: "is a date (VALUE=DATE) but DTSTART is a date-time: both must be of the same kind")
            }
        }
        if let durationProperty {
            let text = ICalendarText.trimmed(durationProperty.value)
            guard let duration = ICalendarDuration(parsing: text) else {
                throw ICalendarProblem(
                    field: "DURATION", message: "'\(text.prefix(30))' is not a duration such as PT1H30M, P1D or P2W (nor negative)")
            }
            if start.isDate {
                guard duration.seconds == 0 else {
                    throw ICalendarProblem(
                        field: "DURATION", message: "of an all-day event must be whole days or weeks (P1D, P2W), not '\(text.prefix(30))'")
                }
                return .days(duration.days)
            }
            return .duration(duration)
        }
        return .none
    }

    /// One occurrence as an interchange slot. An all-day end is inclusive in Relais and
    /// exclusive in iCalendar, so a one-day DTEND gives no end.
    private func slot(start: ICalendarTime, length: Length, sameDayEnd: Bool, origin: ICalendarVEvent) -> PlannedSlot {
        var end: String?
        switch (start, length) {
        case (.date(let day), .days(let days)):
            if days > 1 || days < 0 {
                end = day.adding(days: days - 1).description
            } else if sameDayEnd {
                end = day.description
            }
        case (.date(let day), .none):
            if sameDayEnd { end = day.description }
        case (.dateTime, .until(let first, let last)):
            if start == first {
                end = last.interchangeText
            } else {
                let seconds = (last.epochSeconds ?? 0) - (first.epochSeconds ?? 0)
                end = ICalendarTime.utcText(epochSeconds: (start.epochSeconds ?? 0) + seconds)
            }
        case (.dateTime(let local, let zone), .duration(let duration)):
            let base = ICalendarTime.dateTime(local, zone).adding(days: duration.days).epochSeconds ?? 0
            end = ICalendarTime.utcText(epochSeconds: base + duration.seconds)
        default:
            end = nil
        }
        return PlannedSlot(start: start.interchangeText, end: end, origin: origin)
    }

    // MARK: Values

    /// A DATE or DATE-TIME property, with its VALUE and TZID parameters.
    private func time(_ property: ICalendarContentLine, field: String) throws(ICalendarProblem) -> ICalendarTime {
        let values = try times([property], field: field)
        guard values.count == 1, let value = values.first else {
            throw ICalendarProblem(field: field, message: "must hold exactly one date or date-time")
        }
        return value
    }

    /// The comma-separated DATE or DATE-TIME values of properties such as EXDATE.
    private func times(_ properties: [ICalendarContentLine], field: String) throws(ICalendarProblem) -> [ICalendarTime] {
        var result: [ICalendarTime] = []
        for property in properties {
            let kind = property.parameter("VALUE").map { ICalendarText.keyword($0) }
            if let kind, kind != "DATE", kind != "DATE-TIME" {
                throw ICalendarProblem(field: field, message: "VALUE=\(kind.prefix(20)) is not supported (only DATE and DATE-TIME)")
            }
            let zone = try zone(property.parameter("TZID"), field: field)
            for text in property.value.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = ICalendarText.trimmed(text)
                guard let value = ICalendarTime.parse(trimmed, isDate: kind == "DATE", zone: zone) else {
                    throw ICalendarProblem(
                        field: field,
                        message: "'\(trimmed.prefix(40))' is not a date (20201117) or date-time (20201110T093000, 20201110T083000Z)")
                }
                result.append(value)
            }
        }
        return result
    }

    /// The zone a TZID names: any IANA zone, with or without a leading `/`, or one of the
    /// Windows names in ``windowsZones``.
    private func zone(_ tzid: String?, field: String) throws(ICalendarProblem) -> ICalendarZone {
        guard let tzid else { return .floating }
        var name = ICalendarText.trimmed(tzid)
        if name.hasPrefix("/") { name.removeFirst() }
        if let known = zones.byName[name] { return .named(known) }
        guard !name.isEmpty, let zone = TimeZone(identifier: name) ?? Self.windowsZones[name].flatMap(TimeZone.init(identifier:))
        else {
            throw ICalendarProblem(
                field: field, message: "unknown time zone TZID '\(tzid.prefix(60))' (expected an IANA zone such as Europe/Paris)")
        }
        zones.byName[name] = zone
        return .named(zone)
    }

    /// Zone names as Outlook and Exchange write them, for the zones of France (metropolitan
    /// and overseas) and a few common others, by CLDR's windowsZones table.
    static let windowsZones = [
        "Romance Standard Time": "Europe/Paris",
        "W. Europe Standard Time": "Europe/Berlin",
        "Central Europe Standard Time": "Europe/Budapest",
        "Central European Standard Time": "Europe/Warsaw",
        "GMT Standard Time": "Europe/London",
        "Greenwich Standard Time": "Atlantic/Reykjavik",
        "SA Eastern Standard Time": "America/Cayenne",
        "SA Western Standard Time": "America/Martinique",
        "Mauritius Standard Time": "Indian/Reunion",
        "E. Africa Standard Time": "Indian/Mayotte",
        "Eastern Standard Time": "America/New_York",
        "Central Standard Time": "America/Chicago",
        "Mountain Standard Time": "America/Denver",
        "Pacific Standard Time": "America/Los_Angeles",
    ]

    // MARK: Errors

    fileprivate func failure(_ vevent: ICalendarVEvent, field: String?, _ message: String) -> ImportError {
        ImportError(file: file, location: vevent.location, field: field, message: message)
    }

    /// Runs `body`, turning its problem into an ``ImportError`` at `vevent`.
    private func at(_ vevent: ICalendarVEvent, _ body: () throws(ICalendarProblem) -> Void) throws(ImportError) {
        do {
            try body()
        } catch {
            throw ImportError(file: file, location: vevent.location, field: error.field, message: error.message)
        }
    }
}
