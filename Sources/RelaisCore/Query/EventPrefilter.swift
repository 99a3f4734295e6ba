import Foundation

/// An event's fields as UTF-8 text, borrowed from wherever a store keeps them (the columns
/// of a database row, say) and valid only during the call they are passed to.
///
/// Each field is in its interchange form (contract §1), except:
/// - ``Field/slots``: every slot as `start` or `start/end`, joined by `;` (interchange
///   times hold neither character);
/// - ``Field/online``: `1` or `0`;
/// - ``Field/audience`` and ``Field/tags``: a JSON array of strings, or absent when empty.
///
/// A store hands these to an ``EventPrefilter`` so that an event the filter rejects is
/// never built: most filters read two fields of fifteen, and building an ``Event`` costs
/// far more than testing it. A store may lend only the fields it has at hand (those of an
/// index, say) and name the others in ``unlent``: a reader that needs one asks ``lender``
/// for the whole event by ``reference``.
public struct EventFieldTexts {
    /// The fields, in interchange order; `rawValue` indexes ``bases`` and ``counts``.
    public enum Field: Int, CaseIterable, Sendable {
        case id, title, kind, status, slots, region, online, lab, organizer, place, url, contact, audience, tags,
            description
    }

    /// How many fields there are.
    public static let fieldCount = Field.allCases.count

    /// Where each field's bytes start: nil when the field is absent (an empty text has a
    /// non-nil base and a count of zero) or not lent.
    public let bases: UnsafePointer<UnsafeRawPointer?>
    /// How many bytes each field has.
    public let counts: UnsafePointer<Int>
    /// The fields not lent here, one bit per field (`1 << rawValue`); 0 when all are.
    /// ``Field/id`` is always lent.
    public let unlent: UInt32
    /// Where the fields not lent can be read, with ``reference``; nil when all are lent.
    public let lender: (any EventFieldLender)?
    /// What ``lender`` needs to find this event again (a row number, say).
    public let reference: Int64

    /// Fields whose base addresses and byte counts are in `bases` and `counts`, each
    /// holding ``fieldCount`` entries in ``Field`` order.
    public init(
        bases: UnsafePointer<UnsafeRawPointer?>, counts: UnsafePointer<Int>, unlent: UInt32 = 0,
        lender: (any EventFieldLender)? = nil, reference: Int64 = 0
    ) {
        self.bases = bases
        self.counts = counts
        self.unlent = lender == nil ? 0 : unlent
        self.lender = lender
        self.reference = reference
    }

    /// Whether `field` is lent here (present or absent); when it is not, ask ``lender``.
    public func isLent(_ field: Field) -> Bool {
        unlent & (1 << UInt32(field.rawValue)) == 0
    }

    /// The bytes of `field`, or nil when it is absent or not lent.
    public subscript(field: Field) -> UnsafeRawBufferPointer? {
        guard let base = bases[field.rawValue] else { return nil }
        return UnsafeRawBufferPointer(start: base, count: counts[field.rawValue])
    }
}

/// Lends every field of an event that a listing lent only in part, for a reader that
/// needs a field the listing did not read. It may be asked after the listing has ended.
public protocol EventFieldLender: AnyObject {
    /// Calls `body` with all the fields of the event that was lent with `reference` and
    /// id `id`, and returns its result; returns nil when that event is no longer there.
    /// Without an id, `reference` alone names the event: a lender whose references can
    /// name another event later must then answer nil.
    func withAllFields<Result>(
        reference: Int64, id: String?, _ body: (EventFieldTexts) throws -> Result
    ) throws -> Result?
}

/// A test on events that runs outside the store — a Lua filter, say — after the store has
/// narrowed by a query's built-in filters.
///
/// A store that can lend an event's stored text calls ``matches(fields:)`` and builds only
/// the events that pass; any other store calls ``matches(_:)`` with each built event. Both
/// must give the same answer for the same event.
public protocol EventPrefilter: AnyObject {
    /// Whether `event` passes.
    func matches(_ event: Event) throws -> Bool
    /// Whether the event whose text is `fields` passes.
    func matches(fields: EventFieldTexts) throws -> Bool
    /// Appends to `results` whether each event of `batch` passes, in order. When it throws,
    /// `results` holds the answers for the events tested before the one that failed. A
    /// prefilter whose every call has a fixed cost (a call into Lua) tests them together;
    /// by default, one by one.
    func matches(batch: EventFieldBatch, into results: inout [Bool]) throws
    /// The fields it has read so far, one bit per ``EventFieldTexts/Field`` (by
    /// `rawValue`); all of them by default. Once it has tested a first stretch of a
    /// listing, a store may lend it only these and give the others on demand.
    var fieldsRead: UInt32 { get }
}

extension EventPrefilter {
    public var fieldsRead: UInt32 { (1 << UInt32(EventFieldTexts.fieldCount)) - 1 }

    public func matches(batch: EventFieldBatch, into results: inout [Bool]) throws {
        for index in 0..<batch.count { results.append(try matches(fields: batch.fields(at: index))) }
    }
}

/// The fields of several events lent at once (see ``EventFieldTexts``), valid only during
/// the call they are passed to. Field `f` of event `i` is at `bases[i * fieldCount + f]`.
public struct EventFieldBatch {
    /// How many events.
    public let count: Int
    public let bases: UnsafePointer<UnsafeRawPointer?>
    public let counts: UnsafePointer<Int>
    /// What ``lender`` needs to find each event again.
    public let references: UnsafePointer<Int64>
    /// The fields not lent, the same for every event of the batch.
    public let unlent: UInt32
    public let lender: (any EventFieldLender)?

    public init(
        count: Int, bases: UnsafePointer<UnsafeRawPointer?>, counts: UnsafePointer<Int>,
        references: UnsafePointer<Int64>, unlent: UInt32 = 0, lender: (any EventFieldLender)? = nil
    ) {
        self.count = count
        self.bases = bases
        self.counts = counts
        self.references = references
        self.unlent = lender == nil ? 0 : unlent
        self.lender = lender
    }

    /// The fields of event `index`.
    public func fields(at index: Int) -> EventFieldTexts {
        let start = index * EventFieldTexts.fieldCount
        return EventFieldTexts(
            bases: bases + start, counts: counts + start, unlent: unlent, lender: lender, reference: references[index])
    }
}

/// Passes the events that pass every one of its filters, testing them in order and
/// stopping at the first that rejects.
public final class AllOfPrefilters: EventPrefilter {
    public let filters: [any EventPrefilter]

    public init(_ filters: [any EventPrefilter]) {
        self.filters = filters
    }

    public func matches(_ event: Event) throws -> Bool {
        for filter in filters where try !filter.matches(event) { return false }
        return true
    }

    public func matches(fields: EventFieldTexts) throws -> Bool {
        for filter in filters where try !filter.matches(fields: fields) { return false }
        return true
    }
}
