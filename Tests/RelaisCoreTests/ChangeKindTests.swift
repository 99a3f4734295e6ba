import Foundation
import RelaisCore
import Testing

@Suite("Change detection")
struct ChangeKindTests {
    static let stored = sampleEvent(
        slots: [slot("2020-11-10T09:30", "2020-11-10T11:30"), slot("2020-11-12T14:00", "2020-11-12T16:00")],
        region: region("75"), lab: "la-base", tags: ["agents"])

    @Test func newIDIsAdded() {
        #expect(ChangeKind.between(stored: nil, incoming: Self.stored) == .added)
        var cancelled = Self.stored
        cancelled.status = .cancelled
        #expect(ChangeKind.between(stored: nil, incoming: cancelled) == .added)
    }

    @Test func sameEventIsUnchanged() {
        #expect(ChangeKind.between(stored: Self.stored, incoming: Self.stored) == .unchanged)
        var cancelled = Self.stored
        cancelled.status = .cancelled
        #expect(ChangeKind.between(stored: cancelled, incoming: cancelled) == .unchanged)
    }

    @Test func sameInstantWrittenDifferentlyIsUnchanged() {
        var incoming = Self.stored
        incoming.slots = [
            slot("2020-11-10T08:30:00Z", "2020-11-10T11:30:00+01:00"),
            slot("2020-11-12T14:00:00+01:00", "2020-11-12T15:00:00Z"),
        ]
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .unchanged)
    }

    @Test func otherFieldChangesAreUpdates() {
        var incoming = Self.stored
        incoming.title = "Nouveau titre"
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
        incoming = Self.stored
        incoming.region = nil
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
        incoming = Self.stored
        incoming.tags = ["agents", "elus"]
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
        incoming = Self.stored
        incoming.kind = .webinar
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
        incoming = Self.stored
        incoming.online = true
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
        incoming = Self.stored
        incoming.description = "Détails"
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
    }

    @Test func slotChangesAreReschedulings() {
        var incoming = Self.stored
        incoming.slots[0] = slot("2020-11-10T10:00", "2020-11-10T11:30")
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .rescheduled)
        incoming = Self.stored
        incoming.slots.removeLast()
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .rescheduled)
        incoming = Self.stored
        incoming.slots.append(slot("2020-11-20"))
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .rescheduled)
        incoming = Self.stored
        incoming.slots[1].end = nil
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .rescheduled)
        // A slot change together with a title change is still a rescheduling.
        incoming = Self.stored
        incoming.slots[0] = slot("2020-11-10T10:00", "2020-11-10T11:30")
        incoming.title = "Autre titre"
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .rescheduled)
    }

    @Test func slotOrderIsIgnored() {
        var incoming = Self.stored
        incoming.slots.reverse()
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .unchanged)
        incoming.title = "Titre modifié"
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .updated)
    }

    @Test func repeatedSlotsCountAsSlots() {
        let a = slot("2020-11-10T09:30", "2020-11-10T11:30")
        let b = slot("2020-11-12T14:00", "2020-11-12T16:00")
        var before = Self.stored
        before.slots = [a, a, b]
        var after = Self.stored
        after.slots = [a, b, b]
        #expect(ChangeKind.between(stored: before, incoming: after) == .rescheduled)
        after.slots = [b, a, a]
        #expect(ChangeKind.between(stored: before, incoming: after) == .unchanged)
        after.slots = [a, b]
        #expect(ChangeKind.between(stored: before, incoming: after) == .rescheduled)
    }

    @Test func cancellationWinsOverSlotAndFieldChanges() {
        var incoming = Self.stored
        incoming.status = .cancelled
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .cancelled)
        incoming.slots = [slot("2020-12-01")]
        incoming.title = "Annulé"
        #expect(ChangeKind.between(stored: Self.stored, incoming: incoming) == .cancelled)
        var postponed = Self.stored
        postponed.status = .postponed
        #expect(ChangeKind.between(stored: postponed, incoming: incoming) == .cancelled)
    }

    @Test func changesToAnAlreadyCancelledEvent() {
        var cancelled = Self.stored
        cancelled.status = .cancelled
        var incoming = cancelled
        incoming.title = "Annulé : atelier design"
        #expect(ChangeKind.between(stored: cancelled, incoming: incoming) == .updated)
        incoming = cancelled
        incoming.slots = [slot("2020-12-01")]
        #expect(ChangeKind.between(stored: cancelled, incoming: incoming) == .rescheduled)
        // Reinstated with the same slots: a status change, reported as an update.
        incoming = Self.stored
        #expect(ChangeKind.between(stored: cancelled, incoming: incoming) == .updated)
    }

    /// A postponement is a status change: an update when the slots stay (dates to be
    /// announced), a rescheduling when new slots come with it.
    @Test func postponement() {
        var postponed = Self.stored
        postponed.status = .postponed
        #expect(ChangeKind.between(stored: Self.stored, incoming: postponed) == .updated)
        postponed.slots = [slot("2021-01-12T09:30", "2021-01-12T11:30")]
        #expect(ChangeKind.between(stored: Self.stored, incoming: postponed) == .rescheduled)
        // Back to scheduled on the new date.
        var back = postponed
        back.status = .scheduled
        #expect(ChangeKind.between(stored: postponed, incoming: back) == .updated)
    }

    @Test func topics() {
        #expect(ChangeKind.added.topic == "event.added")
        #expect(ChangeKind.updated.topic == "event.updated")
        #expect(ChangeKind.rescheduled.topic == "event.rescheduled")
        #expect(ChangeKind.cancelled.topic == "event.cancelled")
        #expect(ChangeKind.unchanged.topic == nil)
    }

    @Test func importReportCounts() {
        var report = ImportReport()
        for kind in [ChangeKind.added, .added, .updated, .rescheduled, .cancelled, .unchanged, .unchanged, .unchanged] {
            report.count(kind)
        }
        #expect(report.added == 2)
        #expect(report.updated == 1)
        #expect(report.rescheduled == 1)
        #expect(report.cancelled == 1)
        #expect(report.unchanged == 3)
        #expect(report.total == 8)
        #expect(report.description == "2 added, 1 updated, 1 rescheduled, 1 cancelled, 3 unchanged")
    }
}
