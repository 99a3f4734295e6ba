/// Turns one interchange record (the JSON object of contract §1) into a valid ``Event``.
///
/// Every reader (JSON, JSON Lines, CSV, the Lua bridge) goes through this one place, so
/// an event means the same whatever file it came from. The thrown problem names the
/// field; the reader adds the file and the record.
public enum EventRecordDecoding {
    /// The fields of contract §1, in the order writers emit them.
    public static let fieldNames = [
        "id", "title", "kind", "status", "slots", "region", "online", "lab", "organizer", "place", "url",
        "contact", "audience", "tags", "description",
    ]

    /// Decodes and validates a record. Unknown fields are an error (a misspelt field
    /// would otherwise vanish silently), except extension fields starting with `x-` or `_`.
    public static func event(from record: [String: InterchangeValue]) throws(EventFieldProblem) -> Event {
        // One pass over the record sorts its values by field: a lookup per field hashed
        // every name again, a tenth of an import's reading thread.
        var fields = RecordFields()
        for (key, value) in record {
            if let field = RecordFields.Field(name: key) {
                fields[field] = value
            } else if let problem = unknownFieldProblem(key) {
                throw problem
            }
        }
        return try event(from: fields)
    }

    /// The problem of a record's field `name` that is none of contract §1's, or nil for an
    /// extension field (`x-…` or `_…`), which is ignored.
    public static func unknownFieldProblem(_ name: String) -> EventFieldProblem? {
        if isExtensionField(name) { return nil }
        return EventFieldProblem(field: name, message: "unknown field (expected one of \(fieldNames.joined(separator: ", ")))")
    }

    /// Whether `name` is an extension field's (`x-…` or `_…`), which readers ignore.
    public static func isExtensionField(_ name: String) -> Bool {
        name.hasPrefix("x-") || name.hasPrefix("_")
    }

    /// Decodes and validates the fields of a record, sorted already (a reader that parses
    /// straight into them builds no dictionary). Unknown fields were the reader's to refuse
    /// (``unknownFieldProblem(_:)``).
    public static func event(from fields: RecordFields) throws(EventFieldProblem) -> Event {
        let id = try requiredString("id", fields.id)
        let title = try requiredString("title", fields.title)
        let kindName = try requiredString("kind", fields.kind)
        guard let kind = EventKind(rawValue: kindName) else {
            throw EventFieldProblem(field: "kind", message: "unknown kind '\(kindName)' (expected one of \(EventKind.allNames))")
        }
        var status = EventStatus.scheduled
        if let name = try optionalString("status", fields.status) {
            guard let parsed = EventStatus(rawValue: name) else {
                throw EventFieldProblem(field: "status", message: "unknown status '\(name)' (expected one of \(EventStatus.allNames))")
            }
            status = parsed
        }
        let slots = try decodeSlots(fields.slots)
        var region: Region?
        if let code = try optionalString("region", fields.region) {
            guard let found = Region(code: code) ?? Region.lookup(code) else {
                throw EventFieldProblem(field: "region", message: "'\(code)' is not the INSEE code of a region (e.g. 75, 53, 11)")
            }
            region = found
        }
        var online = false
        switch fields.online {
        case nil, .null?: break
        case .bool(let value)?: online = value
        case let other?: throw EventFieldProblem(field: "online", message: "must be true or false, not \(other.typeName)")
        }
        let event = Event(
            id: id, title: title, kind: kind, status: status, slots: slots, region: region, online: online,
            lab: try optionalString("lab", fields.lab), organizer: try optionalString("organizer", fields.organizer),
            place: try optionalString("place", fields.place), url: try optionalString("url", fields.url),
            contact: try optionalString("contact", fields.contact), audience: try stringList("audience", fields.audience),
            tags: try stringList("tags", fields.tags), description: try optionalString("description", fields.description)
        ).normalized()
        if let problem = event.validationProblem() { throw problem }
        return event
    }

    /// The values of a record's fields (contract §1), each nil when the record lacks it.
    public struct RecordFields: Sendable {
        public var id, title, kind, status, slots, region, online, lab, organizer, place, url, contact: InterchangeValue?
        public var audience, tags, description: InterchangeValue?

        public init() {}

        /// A field of contract §1; its raw value is its place in ``EventRecordDecoding/fieldNames``.
        public enum Field: Int, CaseIterable, Sendable {
            case id, title, kind, status, slots, region, online, lab, organizer, place, url, contact, audience, tags
            case description

            /// The field named `name`, or nil when none is.
            public init?(name: String) {
                switch name {
                case "id": self = .id
                case "title": self = .title
                case "kind": self = .kind
                case "status": self = .status
                case "slots": self = .slots
                case "region": self = .region
                case "online": self = .online
                case "lab": self = .lab
                case "organizer": self = .organizer
                case "place": self = .place
                case "url": self = .url
                case "contact": self = .contact
                case "audience": self = .audience
                case "tags": self = .tags
                case "description": self = .description
                default: return nil
                }
            }
        }

        /// The value of `field`.
        public subscript(field: Field) -> InterchangeValue? {
            get {
                switch field {
                case .id: id
                case .title: title
                case .kind: kind
                case .status: status
                case .slots: slots
                case .region: region
                case .online: online
                case .lab: lab
                case .organizer: organizer
                case .place: place
                case .url: url
                case .contact: contact
                case .audience: audience
                case .tags: tags
                case .description: description
                }
            }
            set {
                switch field {
                case .id: id = newValue
                case .title: title = newValue
                case .kind: kind = newValue
                case .status: status = newValue
                case .slots: slots = newValue
                case .region: region = newValue
                case .online: online = newValue
                case .lab: lab = newValue
                case .organizer: organizer = newValue
                case .place: place = newValue
                case .url: url = newValue
                case .contact: contact = newValue
                case .audience: audience = newValue
                case .tags: tags = newValue
                case .description: description = newValue
                }
            }
        }
    }

    /// Parses a time in one of the contract's forms, naming `field` on failure.
    public static func time(_ text: String, field: String) throws(EventFieldProblem) -> EventTime {
        guard let time = EventTime(parsing: text) else {
            throw EventFieldProblem(
                field: field,
                message: "'\(text.prefix(40))' is not a time (expected 2020-11-17, 2020-11-10T09:30 or 2020-11-10T09:30:00+01:00)")
        }
        return time
    }

    private static func decodeSlots(_ value: InterchangeValue?) throws(EventFieldProblem) -> [Slot] {
        guard case .array(let items)? = value else {
            if value == nil || value == .null {
                throw EventFieldProblem(field: "slots", message: "is required (an array of {\"start\", \"end\"})")
            }
            throw EventFieldProblem(field: "slots", message: "must be an array, not \(value?.typeName ?? "null")")
        }
        if items.isEmpty { throw EventFieldProblem(field: "slots", message: "at least one slot is required") }
        var slots: [Slot] = []
        slots.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else {
                throw EventFieldProblem(field: "slots[\(index)]", message: "must be an object with start and end, not \(item.typeName)")
            }
            var startValue: InterchangeValue?
            var endValue: InterchangeValue?
            for (key, value) in fields {
                switch key {
                case "start": startValue = value
                case "end": endValue = value
                default:
                    throw EventFieldProblem(field: "slots[\(index)].\(key)", message: "unknown field (a slot has start and end)")
                }
            }
            guard case .string(let startText)? = startValue else {
                throw EventFieldProblem(field: "slots[\(index)].start", message: "is required and must be a string")
            }
            let start = try time(startText, field: "slots[\(index)].start")
            var end: EventTime?
            switch endValue {
            case nil, .null?: break
            case .string(let text)? where text.isEmpty: break
            case .string(let text)?: end = try time(text, field: "slots[\(index)].end")
            case let other?: throw EventFieldProblem(field: "slots[\(index)].end", message: "must be a string, not \(other.typeName)")
            }
            let slot = Slot(start: start, end: end)
            if let problem = slot.problem { throw EventFieldProblem(field: "slots[\(index)]", message: problem) }
            slots.append(slot)
        }
        return slots
    }

    private static func requiredString(_ field: String, _ value: InterchangeValue?) throws(EventFieldProblem) -> String {
        switch value {
        case .string(let value)?: return value
        case nil, .null?: throw EventFieldProblem(field: field, message: "is required")
        case let other?: throw EventFieldProblem(field: field, message: "must be a string, not \(other.typeName)")
        }
    }

    private static func optionalString(_ field: String, _ value: InterchangeValue?) throws(EventFieldProblem) -> String? {
        switch value {
        case .string(let value)?: return value
        case nil, .null?: return nil
        case let other?: throw EventFieldProblem(field: field, message: "must be a string, not \(other.typeName)")
        }
    }

    private static func stringList(_ field: String, _ value: InterchangeValue?) throws(EventFieldProblem) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    throw EventFieldProblem(field: "\(field)[\(index)]", message: "must be a string, not \(item.typeName)")
                }
                result.append(text)
            }
            return result
        case let other?: throw EventFieldProblem(field: field, message: "must be an array of strings, not \(other.typeName)")
        }
    }
}
