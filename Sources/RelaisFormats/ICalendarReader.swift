import Foundation
import RelaisCore

/// Reads iCalendar (RFC 5545) files per contract §1. (Being written.)
public struct ICalendarReader: EventReader {
    public init() {}

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        throw ImportError(file: input.displayName, location: nil, message: "iCalendar import is not available yet")
    }
}
