import Foundation
import RelaisCore

/// Writes iCalendar (RFC 5545) per contract §1. (Being written.)
public final class ICalendarWriter: EventWriter {
    private let output: any TextOutput
    private let options: ExportOptions

    public init(output: any TextOutput, options: ExportOptions) {
        self.output = output
        self.options = options
    }

    public func begin() throws {}
    public func write(_ event: Event) throws {}
    public func finish() throws {}
}
