import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

/// The reader takes a file in chunks: whatever the chunks' boundaries, the lines are the
/// same, and a line without end cannot grow without bound.
@Suite("iCalendar unfolder")
struct ICalendarUnfolderTests {
    private static let file = Array(
        "\u{FEFF}BEGIN:VCALENDAR\r\nSUMMARY:Réunion d’équipe\r\n  pliée\r\n\tet repliée é\r\n\r\nX-A:1\nX-B:2\r\n\r\n\r\nDESCRIPTION:fin sans retour"
            .utf8)

    private func lines(_ bytes: [UInt8], chunk: Int) throws -> [String] {
        var unfolder = ICalendarUnfolder()
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            try unfolder.feed(bytes[start..<end]) { lines.append("\($0.number):" + String(decoding: $0.bytes, as: UTF8.self)) }
            start = end
        }
        try unfolder.finish { lines.append("\($0.number):" + String(decoding: $0.bytes, as: UTF8.self)) }
        return lines
    }

    @Test func chunkBoundariesChangeNothing() throws {
        let expected = [
            "1:BEGIN:VCALENDAR", "2:SUMMARY:Réunion d’équipe pliéeet repliée é", "6:X-A:1", "7:X-B:2",
            "10:DESCRIPTION:fin sans retour",
        ]
        #expect(try lines(Self.file, chunk: Self.file.count) == expected)
        // Every split: inside the byte-order mark (a pipe may give it a byte at a time), a
        // CRLF, a UTF-8 character, a fold.
        for size in 1...40 {
            var chunked: [String] = []
            var unfolder = ICalendarUnfolder()
            var start = 0
            while start < Self.file.count {
                let end = min(Self.file.count, start + size)
                try unfolder.feed(Self.file[start..<end]) {
                    chunked.append("\($0.number):" + String(decoding: $0.bytes, as: UTF8.self))
                }
                start = end
            }
            try unfolder.finish { chunked.append("\($0.number):" + String(decoding: $0.bytes, as: UTF8.self)) }
            #expect(chunked == expected, "chunks of \(size)")
        }
    }

    @Test func aLineWithoutEndIsRefusedPastTheLimit() throws {
        var unfolder = ICalendarUnfolder()
        let zeros = [UInt8](repeating: 0x41, count: 1 << 20)
        var fed = 0
        let error = #expect(throws: ICalendarUnfolder.TooLong.self) {
            while fed <= ICalendarUnfolder.maximumLineBytes + zeros.count {
                try unfolder.feed(zeros[...]) { _ in }
                fed += zeros.count
            }
        }
        #expect(error?.line == 1)
        #expect(fed <= ICalendarUnfolder.maximumLineBytes + zeros.count)
        // Folded continuations count too.
        var folded = ICalendarUnfolder()
        let fold = Array("X-A:".utf8) + [UInt8](repeating: 0x42, count: 1 << 20) + Array("\r\n".utf8)
        let continuation = [0x20] + [UInt8](repeating: 0x42, count: 1 << 20) + Array("\r\n".utf8)
        let foldError = #expect(throws: ICalendarUnfolder.TooLong.self) {
            try folded.feed(fold[...]) { _ in }
            for _ in 0..<20 { try folded.feed(continuation[...]) { _ in } }
        }
        #expect(foldError?.line == 1)
    }

    @Test func theReaderNamesTheLongLineAndKeepsOnlyWhatItReads() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("long.ics")
        var bytes = Array("BEGIN:VCALENDAR\r\nX-LONG:".utf8)
        bytes += [UInt8](repeating: 0x61, count: ICalendarUnfolder.maximumLineBytes + 10)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ImportError.self) {
            try ICalendarReader().read(ImportInput(url: URL(fileURLWithPath: path), displayName: "long.ics")) { _ in }
        }
        #expect(error?.description.contains("long.ics: line 2") == true, "\(String(describing: error))")
        #expect(error?.description.contains("longer than 16 MiB") == true)

        let document = try ICalendarDocument(
            file: "x.ics",
            bytes: Array(
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nX-FOO:1\r\nX-FOO:2\r\nSUMMARY:S\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".utf8))
        #expect(document.events.count == 1)
        #expect(Set(document.events[0].properties.keys) == ["UID", "SUMMARY"])
    }
}
