// The file channel: each delivery becomes `<folder>/<to>/<safe key>.json`, written whole
// or not at all, the same bytes each time, under a name that cannot leave its folder.

import Foundation
import RelaisCore
import RelaisDelivery
import RelaisTesting
import Testing

@Suite("File channel", .timeLimit(.minutes(1)))
struct FileChannelTests {
    @Test func aDeliveryIsWrittenAsJSONUnderItsRecipientFolder() throws {
        let directory = try TemporaryDirectory()
        let outbox = directory.url.appendingPathComponent("outbox")
        let delivery = try fileDelivery(
            key: "la-base/42/file/1", subject: "Annulation : « Atelier » à Poitiers", body: #"{"titre":"Atelier"}"#,
            html: "<p>Annulé</p>", headers: [.init(name: "X-Programme", value: "mip2020")])
        let result = try #require(FileChannel(folder: outbox).send([delivery]).first)
        guard case .delivered(let detail) = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
        let files = try visibleAndHiddenFiles(in: outbox.appendingPathComponent("la-base"))
        #expect(files.count == 1, "\(files)")
        let name = try #require(files.first)
        #expect(name.hasSuffix(".json"))
        #expect(name.hasPrefix("la-base_42_file_1"))
        #expect(detail.contains(name))

        let data = try Data(contentsOf: outbox.appendingPathComponent("la-base").appendingPathComponent(name))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["key"] as? String == "la-base/42/file/1")
        #expect(object["origin"] as? String == "la-base")
        #expect(object["channel"] as? String == "file")
        #expect(object["to"] as? String == "la-base")
        #expect(object["body"] as? String == #"{"titre":"Atelier"}"#)
        #expect(object["subject"] as? String == "Annulation : « Atelier » à Poitiers")
        #expect(object["html"] as? String == "<p>Annulé</p>")
        #expect((object["change"] as? NSNumber)?.int64Value == 42)
        #expect(object["headers"] as? [[String]] == [["X-Programme", "mip2020"]])
        // 2020-11-10 08:30 UTC, written in Paris time.
        #expect(object["created_at"] as? String == "2020-11-10T09:30:00+01:00")
    }

    @Test func aDeliveryWithoutSubjectHasNoSubjectField() throws {
        let directory = try TemporaryDirectory()
        let delivery = try fileDelivery(key: "la-base/1", subject: nil)
        _ = FileChannel(folder: directory.url).send([delivery])
        let folder = directory.url.appendingPathComponent("la-base")
        let name = try #require(try visibleAndHiddenFiles(in: folder).first)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name))) as? [String: Any])
        #expect(object["subject"] == nil)
        #expect(object["key"] as? String == "la-base/1")
    }

    @Test func awkwardKeysGiveSafeFileNamesInsideTheRecipientFolder() throws {
        let directory = try TemporaryDirectory()
        let outbox = directory.url.appendingPathComponent("outbox")
        let keys = [
            "../../etc/passwd", "..", ".", ".cache", "a/b", "/absolute", "a b:c*?\"<>|\\", "é/ü", "la-base/42/file/1",
            "tab\there", "~user", "-rf",
        ]
        let channel = FileChannel(folder: outbox)
        for key in keys {
            let result = try #require(channel.send([try fileDelivery(key: key)]).first)
            guard case .delivered = result else {
                Issue.record("key \(key): expected delivered, got \(result)")
                continue
            }
        }
        // Nothing outside outbox/la-base.
        #expect(try visibleAndHiddenFiles(in: directory.url) == ["outbox"])
        #expect(try visibleAndHiddenFiles(in: outbox) == ["la-base"])
        let folder = outbox.appendingPathComponent("la-base")
        let names = try visibleAndHiddenFiles(in: folder)
        #expect(names.count == keys.count, "\(names)")
        var keysFound: [String] = []
        for name in names {
            #expect(!name.hasPrefix("."), "\(name)")
            #expect(!name.contains("/"), "\(name)")
            #expect(name.hasSuffix(".json"), "\(name)")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory))
            #expect(!isDirectory.boolValue, "\(name)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name)))
            if let key = (object as? [String: Any])?["key"] as? String { keysFound.append(key) }
        }
        #expect(keysFound.sorted() == keys.sorted())
    }

    @Test func keysDifferingOnlyBySlashAndUnderscoreGetDifferentFiles() throws {
        let directory = try TemporaryDirectory()
        let channel = FileChannel(folder: directory.url)
        _ = channel.send([try fileDelivery(key: "la-base/42", body: "slash"), try fileDelivery(key: "la-base_42", body: "underscore")])
        let folder = directory.url.appendingPathComponent("la-base")
        let names = try visibleAndHiddenFiles(in: folder)
        #expect(names.count == 2, "\(names)")
        var bodies: [String: String] = [:]
        for name in names {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name)))
            let fields = try #require(object as? [String: Any])
            if let key = fields["key"] as? String { bodies[key] = fields["body"] as? String }
        }
        #expect(bodies == ["la-base/42": "slash", "la-base_42": "underscore"])
    }

    @Test func writingTheSameDeliveryTwiceGivesOneFileWithIdenticalBytes() throws {
        let directory = try TemporaryDirectory()
        let channel = FileChannel(folder: directory.url)
        let delivery = try fileDelivery(
            key: "la-base/42/file/1", subject: "Sujet", body: "Corps é", headers: [.init(name: "B", value: "2"), .init(name: "A", value: "1")])
        let folder = directory.url.appendingPathComponent("la-base")
        _ = channel.send([delivery])
        let name = try #require(try visibleAndHiddenFiles(in: folder).first)
        let first = try Data(contentsOf: folder.appendingPathComponent(name))
        let result = try #require(channel.send([delivery]).first)
        guard case .delivered = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
        #expect(try visibleAndHiddenFiles(in: folder) == [name])
        #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == first)
    }

    @Test func noTemporaryFileIsLeftAfterSuccess() throws {
        let directory = try TemporaryDirectory()
        let channel = FileChannel(folder: directory.url)
        let results = channel.send([
            try fileDelivery(key: "la-base/1"), try fileDelivery(key: "la-base/2"), try fileDelivery(key: ".hidden"),
        ])
        #expect(results.count == 3)
        let names = try visibleAndHiddenFiles(in: directory.url.appendingPathComponent("la-base"))
        #expect(names.count == 3, "\(names)")
        #expect(names.allSatisfy { !$0.hasPrefix(".") && !$0.hasSuffix(".tmp") }, "\(names)")
    }

    @Test func aFolderThatCannotBeCreatedFailsWithoutWritingAnything() throws {
        let directory = try TemporaryDirectory()
        // The channel's folder is an existing regular file: nothing can go under it.
        let blocker = try directory.write("outbox", "not a folder")
        let result = try #require(FileChannel(folder: URL(fileURLWithPath: blocker)).send([try fileDelivery(key: "la-base/1")]).first)
        guard case .failed(let detail, _) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains(blocker))
        #expect(try visibleAndHiddenFiles(in: directory.url) == ["outbox"])
        #expect(try String(contentsOfFile: blocker, encoding: .utf8) == "not a folder")
    }

    @Test func aRecipientFolderThatIsAFileFails() throws {
        let directory = try TemporaryDirectory()
        try directory.write("la-base", "a file where the folder should be")
        let result = try #require(FileChannel(folder: directory.url).send([try fileDelivery(key: "la-base/1")]).first)
        guard case .failed = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(try visibleAndHiddenFiles(in: directory.url) == ["la-base"])
    }

    @Test func aTargetThatCannotBeReplacedFailsAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let channel = FileChannel(folder: directory.url)
        let delivery = try fileDelivery(key: "la-base/1")
        let folder = directory.url.appendingPathComponent("la-base")
        _ = channel.send([delivery])
        let name = try #require(try visibleAndHiddenFiles(in: folder).first)
        // Replace the file with a non-empty folder of the same name: the rename must fail.
        let target = folder.appendingPathComponent(name)
        try FileManager.default.removeItem(at: target)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("occupied".utf8).write(to: target.appendingPathComponent("inside"))
        let result = try #require(channel.send([delivery]).first)
        guard case .failed(let detail, _) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains(name))
        #expect(try visibleAndHiddenFiles(in: folder) == [name])
        #expect(try visibleAndHiddenFiles(in: target) == ["inside"])
    }
}

// MARK: - Helpers

/// A delivery on the file channel to `la-base`, created 2020-11-10 08:30 UTC.
private func fileDelivery(
    key: String, subject: String? = "Sujet", body: String = #"{"ok":true}"#, html: String? = nil,
    headers: [DeliveryRequest.Header] = []
) throws -> Delivery {
    let created = try #require(ISO8601DateFormatter().date(from: "2020-11-10T08:30:00Z"))
    return Delivery(
        id: 7,
        request: DeliveryRequest(
            channel: "file", recipient: "la-base", subject: subject, body: body, html: html, headers: headers, key: key,
            origin: "la-base", changeSequence: 42),
        status: .pending, attempts: 0, createdAt: created, nextAttemptAt: created, deliveredAt: nil, lastError: nil)
}

/// Every entry of `folder`, hidden ones included, sorted.
private func visibleAndHiddenFiles(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
}
