import Foundation
import RelaisCore
import RelaisFormats
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct FileTextOutputTests {
    private func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func commitWritesTheFileAndLeavesNoTemporary() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("out.jsonl")
        let output = try FileTextOutput(path: path, bufferSize: 7)
        for index in 0..<1000 { try output.write("line \(index) é\n") }
        #expect(!FileManager.default.fileExists(atPath: path))
        try output.commit()
        try output.commit()  // a second commit does nothing
        #expect(try contents(path) == (0..<1000).map { "line \($0) é\n" }.joined())
        #expect(try directory.listing() == ["out.jsonl"])
        #expect(throws: OutputError.self) { try output.write("more") }
    }

    @Test func bytesAndTextGoToTheSameBuffer() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("out.ics")
        let output = try FileTextOutput(path: path, bufferSize: 5)
        for index in 0..<300 {
            try output.write("ligne \(index) ")
            try output.write(utf8: Array("é\r\n".utf8))
        }
        try output.commit()
        #expect(try contents(path) == (0..<300).map { "ligne \($0) é\r\n" }.joined())
        #expect(throws: OutputError.self) { try output.write(utf8: Array("more".utf8)) }
    }

    @Test func discardLeavesTheOldFileUntouched() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("out.csv", "old content\n")
        let output = try FileTextOutput(path: path, bufferSize: 16)
        for _ in 0..<100 { try output.write("new content that is flushed to the temporary file\n") }
        #expect(try directory.listing().count == 2)
        output.discard()
        #expect(try contents(path) == "old content\n")
        #expect(try directory.listing() == ["out.csv"])
        #expect(throws: OutputError.self) { try output.commit() }
    }

    @Test func droppingAnUncommittedOutputRemovesItsTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("out.json", "[]\n")
        do {
            let output = try FileTextOutput(path: path, bufferSize: 4)
            try output.write("[\n{\"partial\"")
        }
        #expect(try contents(path) == "[]\n")
        #expect(try directory.listing() == ["out.json"])
    }

    @Test func commitReplacesAnExistingFileKeepingItsPermissions() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("out.ics", "old")
        chmod(path, 0o640)
        let output = try FileTextOutput(path: path)
        try output.write("new")
        try output.commit()
        #expect(try contents(path) == "new")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
    }

    @Test func aDeviceIsWrittenToNotReplaced() throws {
        // `-o /dev/null` must leave the device node in place (renaming onto it, as root,
        // would replace it with a regular file).
        let output = try FileTextOutput(path: "/dev/null", bufferSize: 8)
        for _ in 0..<100 { try output.write("nothing to keep\n") }
        try output.commit()
        var status = stat()
        #expect(stat("/dev/null", &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix(".null.relais-") }.isEmpty)
    }

    @Test func aFIFOAndALinkToOneAreWrittenThrough() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.path("feed")
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = directory.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        for target in [fifo, link] {
            let received = ReceivedText()
            let reader = Thread {
                let data = FileHandle(forReadingAtPath: fifo).flatMap { try? $0.readToEnd() }
                received.set(data.map { String(decoding: $0, as: UTF8.self) } ?? "unreadable")
            }
            reader.start()
            let output = try FileTextOutput(path: target, bufferSize: 4)
            try output.write("BEGIN:VCALENDAR\n")
            try output.write("END:VCALENDAR\n")
            try output.commit()
            let deadline = Date().addingTimeInterval(10)
            while received.current.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(received.current == "BEGIN:VCALENDAR\nEND:VCALENDAR\n")
        }
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        #expect(try directory.listing() == ["feed", "link"])
    }

    @Test func missingDirectoryIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("no/such/dir/out.csv")
        let error = #expect(throws: OutputError.self) { try FileTextOutput(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func aDirectoryIsNotATarget() throws {
        let directory = try TemporaryDirectory()
        let error = #expect(throws: OutputError.self) { try FileTextOutput(path: directory.url.path) }
        #expect(error?.message == "it is a directory")
    }

    @Test func aProtectedFileIsRefusedByAnyOfItsNames() throws {
        let directory = try TemporaryDirectory()
        let protected = directory.path("catalogue.sqlite")
        try "precious".write(toFile: protected, atomically: false, encoding: .utf8)
        let hardLink = directory.path("other-name.sqlite")
        #expect(link(protected, hardLink) == 0)
        let symbolicLink = directory.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: symbolicLink, withDestinationPath: protected)
        let names = [protected, directory.path("./catalogue.sqlite"), hardLink, symbolicLink]
        for name in names {
            let error = #expect(throws: OutputError.self) {
                try FileTextOutput(path: name, protectedFiles: [protected: "the catalogue"])
            }
            #expect(error?.message == "it is the catalogue '\(protected)' (choose another file)", "\(name)")
        }
        #expect(try contents(protected) == "precious")
        #expect(try directory.listing().sorted() == ["catalogue.sqlite", "link.sqlite", "other-name.sqlite"])
        // Another file, and a protected file that does not exist, are written as usual.
        let output = try FileTextOutput(
            path: directory.path("out.jsonl"), protectedFiles: [protected: "the catalogue", protected + "-wal": "its WAL"])
        try output.write("ok\n")
        try output.commit()
        #expect(try contents(directory.path("out.jsonl")) == "ok\n")
    }

    @Test func unwritableDirectoryIsAClearError() throws {
        guard getuid() != 0 else { return }  // root writes anywhere
        let directory = try TemporaryDirectory()
        let locked = directory.path("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        chmod(locked, 0o500)
        defer { chmod(locked, 0o700) }
        let error = #expect(throws: OutputError.self) { try FileTextOutput(path: locked + "/out.csv") }
        #expect(error?.message.contains("not writable") == true)
    }

    @Test func writerThroughFileOutput() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("events.jsonl")
        let output = try FileTextOutput(path: path)
        let writer = JSONLinesWriter(output: output, options: ExportOptions())
        try writer.begin()
        for event in Samples.all { try writer.write(event) }
        try writer.finish()
        try output.commit()
        #expect(try readEvents(JSONLinesReader(), path) == Samples.all)
    }
}

@Suite struct StandardOutputTextOutputTests {
    @Test func writesThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let output = StandardOutputTextOutput(fileDescriptor: fds[1], bufferSize: 8)
        try output.write("hello ")
        try output.write(utf8: Array("wörld\n".utf8))
        try output.commit()
        close(fds[1])
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = read(fds[0], &bytes, 64)
        close(fds[0])
        #expect(String(decoding: bytes.prefix(max(0, count)), as: UTF8.self) == "hello wörld\n")
    }

    @Test func aClosedPipeIsOutputClosed() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])  // the reader went away, as `head` does
        let output = StandardOutputTextOutput(fileDescriptor: fds[1], bufferSize: 8)
        #expect(throws: OutputClosed.self) {
            for _ in 0..<10 { try output.write("some text\n") }
        }
        #expect(throws: OutputClosed.self) { try output.write("again") }
        #expect(throws: OutputClosed.self) { try output.write(utf8: Array("again".utf8)) }
        close(fds[1])
    }
}

@Suite struct StringTextOutputTests {
    @Test func collectsAndDiscards() throws {
        let output = StringTextOutput()
        try output.write("a")
        try output.write("b")
        #expect(output.text == "ab")
        output.discard()
        #expect(output.text == "")
        try output.write("c")
        try output.commit()
        output.discard()
        #expect(output.text == "c")
    }
}

/// What a reader thread got, handed over under a lock.
private final class ReceivedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func set(_ value: String) { lock.withLock { text = value } }
    var current: String { lock.withLock { text } }
}
