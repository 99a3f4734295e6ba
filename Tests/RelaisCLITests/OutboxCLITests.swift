import Foundation
import RelaisTesting
import Testing

// `relais outbox` end to end with plugins written for the test: secrets a handler puts into
// a delivery (a token in a webhook URL's path, a bearer header) never show in `list`,
// `show` or logs, yet reach the receiver; `retry` revives a dead delivery; `purge` deletes
// only what was delivered long enough ago; a failing handler shows as stuck and resumes
// once fixed.

@Suite("relais outbox", .serialized)
struct OutboxCLITests {
    /// A catalogue, a plugins folder and a configuration in a temporary directory.
    private final class Fixture {
        let directory: TemporaryDirectory
        let catalogue: String
        let plugins: String
        var environment: [String: String] = [:]

        init() throws {
            directory = try TemporaryDirectory()
            catalogue = directory.path("c.sqlite")
            plugins = directory.path("plugins")
        }

        func plugin(_ id: String, _ source: String) throws {
            try FileManager.default.createDirectory(atPath: plugins + "/" + id, withIntermediateDirectories: true)
            _ = try directory.write(
                "plugins/\(id)/manifest.lua", "return { name = \"\(id)\", version = \"1.0\" }\n")
            _ = try directory.write("plugins/\(id)/init.lua", source)
        }

        func configuration(_ text: String) throws {
            let path = try directory.write("relais.conf", text)
            chmod(path, 0o600)
        }

        @discardableResult
        func relais(_ arguments: [String], expecting status: Int32? = 0) throws -> ProcessResult {
            let result = try RelaisProcess.run(
                ["--catalogue", catalogue, "--plugins", plugins, "--config", directory.path("relais.conf")] + arguments,
                in: directory.path, environment: environment)
            if let status { #expect(result.status == status, "relais \(arguments.joined(separator: " ")): \(result)") }
            return result
        }

        /// Imports the sample programme, then the same with `cancelled` ids cancelled.
        func importWithCancellations(_ cancelled: Set<String>) throws {
            try relais(["import", ProjectFiles.sampleJSONLines])
            let lines = try String(contentsOfFile: ProjectFiles.sampleJSONLines, encoding: .utf8)
                .split(separator: "\n").map(String.init)
            var changed: [String] = []
            for line in lines {
                guard var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if let id = object["id"] as? String, cancelled.contains(id) { object["status"] = "cancelled" }
                changed.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            }
            let path = try directory.write("changed.jsonl", changed.joined(separator: "\n") + "\n")
            try relais(["import", path], expecting: nil)
        }

        /// The delivery ids `outbox list` shows, in its order.
        func listedIDs(_ extra: [String] = []) throws -> [String] {
            try relais(["outbox", "list"] + extra).standardOutput.split(separator: "\n")
                .compactMap { line in line.split(separator: " ").first.flatMap { Int($0) }.map(String.init) }
        }
    }

    /// Events in regions whose shipped lab plugins (also discovered: the project's own
    /// `Plugins/`) do not notify, so that only the test's plugins queue anything.
    private static let cancelledID = "mip2020-pays-de-la-loire-tables-rondes-design"
    private static let otherCancelledID = "mip2020-auvergne-rhone-alpes-numerique-en-communs"

    @Test func secretsInADeliveryNeverShowButReachTheReceiver() throws {
        let fixture = try Fixture()
        let receiver = try PythonHTTPReceiver(in: fixture.directory)
        defer { receiver.stop() }
        try fixture.plugin(
            "alpha",
            """
            relais.on("event.cancelled", function(change)
              local url = relais.secret("hook-url")
              relais.log("alpha: sending " .. change.after.id .. " to " .. url)
              relais.notify{ channel = "webhook", to = url, body = '{"id":"' .. change.after.id .. '"}',
                headers = { Authorization = "Bearer " .. relais.secret("api-token") } }
            end)
            """)
        try fixture.configuration("[secrets.alpha]\napi-token = tok-CONFIGURED-42\n")
        fixture.environment["RELAIS_SECRET_ALPHA_HOOK_URL"] = "http://127.0.0.1:\(receiver.port)/hooks/PATH-TOKEN-7f3a"
        try fixture.importWithCancellations([Self.cancelledID])

        let ids = try fixture.listedIDs()
        try #require(ids.count == 1)
        let listed = try fixture.relais(["outbox", "list"]).standardOutput
        #expect(listed.contains("webhook → ‹secret:hook-url›"), "\(listed)")
        let shown = try fixture.relais(["outbox", "show", ids[0]]).standardOutput
        #expect(shown.contains("header:    Authorization: Bearer ‹secret:api-token›"), "\(shown)")
        for text in [listed, shown] {
            #expect(!text.contains("PATH-TOKEN") && !text.contains("tok-CONFIGURED"), "\(text)")
        }
        // The database file itself does not hold them.
        let stored = try Data(contentsOf: URL(fileURLWithPath: fixture.catalogue))
        #expect(stored.range(of: Data("PATH-TOKEN-7f3a".utf8)) == nil && stored.range(of: Data("tok-CONFIGURED-42".utf8)) == nil)

        let delivered = try fixture.relais(["outbox", "deliver"])
        #expect(delivered.standardOutput.contains("delivered 1, to retry 0, dead 0"), "\(delivered)")
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0]["path"] as? String == "/hooks/PATH-TOKEN-7f3a")
        #expect((requests[0]["headers"] as? [String: String])?["Authorization"] == "Bearer tok-CONFIGURED-42")
        #expect(requests[0]["body"] as? String == #"{"id":"\#(Self.cancelledID)"}"#)
        let afterwards = try fixture.relais(["outbox", "show", ids[0]]).standardOutput
        #expect(afterwards.contains("delivered") && !afterwards.contains("PATH-TOKEN"), "\(afterwards)")
    }

    @Test func aDeliveryWhoseSecretIsGoneWaitsAndSaysWhich() throws {
        let fixture = try Fixture()
        try fixture.plugin(
            "alpha",
            """
            relais.on("event.cancelled", function(change)
              relais.notify{ channel = "file", to = "out", body = "token " .. relais.secret("token") }
            end)
            """)
        try fixture.configuration("[file]\nfolder = spool\n[secrets.alpha]\ntoken = first-value\n")
        try fixture.importWithCancellations([Self.cancelledID])
        // The secret was rotated out of the configuration before delivery.
        try fixture.configuration("[file]\nfolder = spool\n")
        let failed = try fixture.relais(["outbox", "deliver"])
        #expect(failed.standardOutput.contains("delivered 0, to retry 1, dead 0"), "\(failed)")
        let listed = try fixture.relais(["outbox", "list"]).standardOutput
        #expect(listed.contains("secret 'token' is not configured for alpha"), "\(listed)")

        // Configured again (a new value): the delivery goes out with the value of the day.
        try fixture.configuration("[file]\nfolder = spool\n[secrets.alpha]\ntoken = second-value\n")
        let id = try #require(try fixture.listedIDs().first)
        try fixture.relais(["outbox", "retry", id])
        try fixture.relais(["outbox", "deliver"])
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path("spool/out"))
        try #require(files.count == 1)
        let document = try String(contentsOfFile: fixture.directory.path("spool/out/" + files[0]), encoding: .utf8)
        #expect(document.contains("token second-value"), "\(document)")
    }

    @Test func retryRevivesADeadDeliveryAndRefusesWhatItCannotRetry() throws {
        let fixture = try Fixture()
        try fixture.plugin(
            "alpha",
            """
            relais.on("event.cancelled", function(change)
              relais.notify{ channel = "sendmail", to = "agents@example.org", subject = "Annulé", body = change.after.id }
            end)
            """)
        // EX_NOUSER: the message can never be delivered, the delivery dies at once.
        let refusing = try fixture.directory.write("refusing-sendmail", "#!/bin/sh\ncat >/dev/null\necho 'no such user' >&2\nexit 67\n")
        chmod(refusing, 0o755)
        try fixture.configuration("[sendmail]\ncommand = \(refusing)\nfrom = relais@example.org\n")
        try fixture.importWithCancellations([Self.cancelledID])
        let died = try fixture.relais(["outbox", "deliver"], expecting: 1)
        #expect(died.standardOutput.contains("dead 1"), "\(died)")
        let id = try #require(try fixture.listedIDs(["--status", "dead"]).first)
        #expect(try fixture.relais(["outbox", "list", "--status", "dead"]).standardOutput.contains("no such user"))

        // Nothing happens to a dead delivery until someone retries it.
        let mails = fixture.directory.path("mails")
        try FileManager.default.createDirectory(atPath: mails, withIntermediateDirectories: true)
        let accepting = try fixture.directory.write("sendmail", "#!/bin/sh\ncat > \"\(mails)/message-$$.eml\"\n")
        chmod(accepting, 0o755)
        try fixture.configuration("[sendmail]\ncommand = \(accepting)\nfrom = relais@example.org\n")
        #expect(try fixture.relais(["outbox", "deliver"]).standardOutput.contains("delivered 0, to retry 0, dead 0"))

        let retried = try fixture.relais(["outbox", "retry", id])
        #expect(retried.standardOutput.contains("delivery \(id) is due now"), "\(retried)")
        #expect(try fixture.listedIDs(["--status", "pending"]) == [id])
        #expect(try fixture.relais(["outbox", "deliver"]).standardOutput.contains("delivered 1, to retry 0, dead 0"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mails).count == 1)
        let shown = try fixture.relais(["outbox", "show", id]).standardOutput
        #expect(shown.contains("dead") && shown.contains("delivered"), "both attempts are kept: \(shown)")

        let again = try fixture.relais(["outbox", "retry", id], expecting: 1)
        #expect(again.standardError.contains("delivery \(id) was already delivered"), "\(again)")
        let missing = try fixture.relais(["outbox", "retry", "999"], expecting: 1)
        #expect(missing.standardError.contains("no delivery 999 in the outbox"), "\(missing)")
        let missingShow = try fixture.relais(["outbox", "show", "999"], expecting: 1)
        #expect(missingShow.standardError.contains("no delivery 999 in the outbox"), "\(missingShow)")
    }

    @Test func purgeDeletesOnlyDeliveredDeliveriesOlderThanTheAge() throws {
        let fixture = try Fixture()
        try fixture.plugin(
            "alpha",
            """
            relais.on("event.cancelled", function(change)
              relais.notify{ channel = "file", to = change.after.region == "52" and "ok" or "other", body = change.after.id }
            end)
            """)
        try fixture.configuration("[file]\nfolder = spool\n")
        try fixture.importWithCancellations([Self.cancelledID, Self.otherCancelledID])
        #expect(try fixture.listedIDs().count == 2)
        // One of the two cannot be written (its folder's place is taken by a file): it waits.
        try FileManager.default.createDirectory(atPath: fixture.directory.path("spool"), withIntermediateDirectories: true)
        _ = try fixture.directory.write("spool/other", "not a folder")
        #expect(try fixture.relais(["outbox", "deliver"]).standardOutput.contains("delivered 1, to retry 1, dead 0"))

        #expect(try fixture.relais(["outbox", "purge", "--delivered", "--older-than", "30d"]).standardOutput
            == "purged 0 delivered deliveries\n")
        #expect(try fixture.listedIDs().count == 2)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try fixture.relais(["outbox", "purge", "--delivered", "--older-than", "1s"]).standardOutput
            == "purged 1 delivered deliveries\n")
        #expect(try fixture.listedIDs(["--status", "delivered"]).isEmpty)
        #expect(try fixture.listedIDs(["--status", "pending"]).count == 1, "a pending delivery is never purged")

        // Bad usage: exit status 2 (contract §2).
        let withoutFlag = try fixture.relais(["outbox", "purge", "--older-than", "1s"], expecting: 2)
        #expect(withoutFlag.standardError.contains("give --delivered"), "\(withoutFlag)")
        let badAge = try fixture.relais(["outbox", "purge", "--delivered", "--older-than", "3 weeks"], expecting: 2)
        #expect(badAge.standardError.contains("--older-than must be an age"), "\(badAge)")
    }

    @Test func aFailingHandlerShowsAsStuckAndResumesOnceFixed() throws {
        let fixture = try Fixture()
        let failing = """
            relais.on("event.cancelled", function(change)
              if change.after.id == "\(Self.cancelledID)" then
                error("cannot handle " .. change.after.id) -- FAILS
              end
              relais.notify{ channel = "file", to = "broken", body = change.after.id }
            end)
            """
        try fixture.plugin("broken", failing)
        try fixture.plugin(
            "steady",
            """
            relais.on("event.cancelled", function(change)
              relais.notify{ channel = "file", to = "steady", body = change.after.id }
            end)
            """)
        try fixture.configuration("[file]\nfolder = spool\n")
        try fixture.importWithCancellations([Self.cancelledID])

        let listed = try fixture.relais(["outbox", "list"]).standardOutput
        let failingLine = failing.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("-- FAILS") }.map { $0 + 1 } ?? 0
        #expect(
            listed.contains("stuck handler: broken at change ")
                && listed.contains("broken/init.lua:\(failingLine): cannot handle \(Self.cancelledID)"), "\(listed)")
        #expect(listed.contains("file → steady"), "the other plugin went on: \(listed)")
        #expect(!listed.contains("file → broken"))

        // `deliver` tries the stuck handler again (still failing: exit 1), and sends the rest.
        let stillFailing = try fixture.relais(["outbox", "deliver"], expecting: 1)
        #expect(stillFailing.standardError.contains("handlers of broken stopped"), "\(stillFailing)")
        #expect(stillFailing.standardOutput.contains("delivered 1"), "\(stillFailing)")

        try fixture.plugin("broken", failing.replacingOccurrences(of: "error(", with: "relais.log("))
        let fixed = try fixture.relais(["outbox", "deliver"])
        #expect(fixed.standardOutput.contains("delivered 1, to retry 0, dead 0"), "\(fixed)")
        let after = try fixture.relais(["outbox", "list"]).standardOutput
        #expect(!after.contains("stuck handler"), "\(after)")
        #expect(after.contains("file → broken"), "\(after)")
        #expect(FileManager.default.fileExists(atPath: fixture.directory.path("spool/broken")))
    }
}
