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
        try output.write("world\n")
        try output.commit()
        close(fds[1])
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = read(fds[0], &bytes, 64)
        close(fds[0])
        #expect(String(decoding: bytes.prefix(max(0, count)), as: UTF8.self) == "hello world\n")
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
