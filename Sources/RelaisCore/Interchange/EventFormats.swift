import Foundation

/// Where a record sits in its file, for error messages.
public enum RecordLocation: Hashable, Sendable, CustomStringConvertible {
    /// 1-based line (JSON Lines, CSV rows, iCalendar lines).
    case line(Int)
    /// 0-based index in a JSON array, with the line it starts on.
    case index(Int, line: Int)
    /// An iCalendar VEVENT by UID, with the line of its BEGIN:VEVENT.
    case uid(String, line: Int)

    public var description: String {
        switch self {
        case .line(let line): "line \(line)"
        case .index(let index, let line): "record \(index) (line \(line))"
        case .uid(let uid, let line): "VEVENT UID '\(uid.prefix(80))' (line \(line))"
        }
    }
}

/// Bad input: names the file, the record and the field, so a user can fix it.
public struct ImportError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var location: RecordLocation?
    public var field: String?
    public var message: String

    public init(file: String, location: RecordLocation?, field: String? = nil, message: String) {
        self.file = file
        self.location = location
        self.field = field
        self.message = message
    }

    public init(file: String, location: RecordLocation?, problem: EventFieldProblem) {
        self.init(file: file, location: location, field: problem.field, message: problem.message)
    }

    public var description: String {
        var text = file
        if let location { text += ": \(location)" }
        if let field { text += ": field '\(field)'" }
        return text + ": " + message
    }
}

/// A file (or standard input) to read events from.
public struct ImportInput: Sendable {
    /// The file to read; `/dev/stdin` for standard input.
    public var url: URL
    /// The name errors show (`Examples/mip2020.jsonl`, `<stdin>`).
    public var displayName: String

    public init(url: URL, displayName: String? = nil) {
        self.url = url
        self.displayName = displayName ?? url.path
    }
}

/// Reads one interchange format (JSON, JSON Lines, CSV, iCalendar, …).
///
/// A reader validates every record and throws an ``ImportError`` naming the file, the
/// record and the field at the first bad one. If `body` throws an ``EventFieldProblem``
/// (a duplicate id, say), the reader rethrows it as an ``ImportError`` at the current
/// record; other errors pass through unchanged.
public protocol EventReader {
    func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws

    /// Whether each event this reader gives is exactly what
    /// ``EventRecordDecoding/event(from:)`` returned for its record, so already normal
    /// and valid: a store then need not check it again. False unless a reader says so;
    /// a reader that says so wrongly lets a store keep events it would have refused.
    var givesCheckedEvents: Bool { get }
}

extension EventReader {
    public var givesCheckedEvents: Bool { false }
}

/// A reader that may run on a thread of its own while its events are stored on another:
/// it holds no state shared with the rest of the process (the built-in readers; not a
/// plugin's reader, whose Lua state belongs to its plugin).
public protocol ReadAheadEventReader: EventReader, Sendable {}

/// Where an exporter's text goes. Implementations buffer and may write atomically.
public protocol TextOutput: AnyObject {
    func write(_ text: String) throws
    /// Writes `bytes`, which are UTF-8 text: for writers that build their output as bytes,
    /// which an output that keeps bytes takes without making a `String` of them first.
    func write(utf8 bytes: [UInt8]) throws
}

extension TextOutput {
    public func write(utf8 bytes: [UInt8]) throws {
        try write(String(decoding: bytes, as: UTF8.self))
    }
}

/// Writes events in one format, streaming: `begin`, then `write` per event, then `finish`.
public protocol EventWriter: AnyObject {
    func begin() throws
    func write(_ event: Event) throws
    func finish() throws
}

/// Options every exporter may honour.
public struct ExportOptions: Sendable {
    /// CSV: the delimiter (`,` or `;`).
    public var csvDelimiter: Character = ","
    /// CSV: start with a UTF-8 byte-order mark, as French spreadsheets expect.
    public var byteOrderMark = false
    /// When the export is made, for headers such as iCalendar's DTSTAMP.
    public var now = Date()
    public init() {}
}

/// One export format, built-in or from a plugin; the registry keeps them by name.
public struct ExporterDescriptor: Sendable {
    public var name: String
    /// The file extension without dot (`ics`).
    public var fileExtension: String
    public var mimeType: String
    /// `built-in` or the id of the plugin that registered it.
    public var origin: String
    public var summary: String
    public var makeWriter: @Sendable (any TextOutput, ExportOptions) throws -> any EventWriter

    public init(
        name: String, fileExtension: String, mimeType: String, origin: String, summary: String,
        makeWriter: @escaping @Sendable (any TextOutput, ExportOptions) throws -> any EventWriter
    ) {
        self.name = name
        self.fileExtension = fileExtension
        self.mimeType = mimeType
        self.origin = origin
        self.summary = summary
        self.makeWriter = makeWriter
    }
}

/// Two exporters claimed the same name.
public struct ExporterNameClash: Error, CustomStringConvertible, Sendable {
    public var name: String
    public var firstOrigin: String
    public var secondOrigin: String
    public var description: String {
        "export format '\(name)' is registered twice: by \(firstOrigin) and by \(secondOrigin)"
    }
}

/// Every export format by name; built-in and script exporters are called the same way.
public final class ExporterRegistry: @unchecked Sendable {
    private var byName: [String: ExporterDescriptor] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds a format; a name already taken is an error naming both origins.
    public func register(_ exporter: ExporterDescriptor) throws {
        lock.lock()
        defer { lock.unlock() }
        if let existing = byName[exporter.name] {
            throw ExporterNameClash(name: exporter.name, firstOrigin: existing.origin, secondOrigin: exporter.origin)
        }
        byName[exporter.name] = exporter
    }

    public func exporter(named name: String) -> ExporterDescriptor? {
        lock.lock()
        defer { lock.unlock() }
        return byName[name]
    }

    /// The format whose extension is `fileExtension` (`ics` → iCalendar), if one is.
    public func exporter(forExtension fileExtension: String) -> ExporterDescriptor? {
        lock.lock()
        defer { lock.unlock() }
        let lowered = fileExtension.lowercased()
        return byName.values.sorted { $0.name < $1.name }.first { $0.fileExtension.lowercased() == lowered }
    }

    /// All formats, by name.
    public var all: [ExporterDescriptor] {
        lock.lock()
        defer { lock.unlock() }
        return byName.values.sorted { $0.name < $1.name }
    }
}
