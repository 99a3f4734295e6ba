import Foundation
import RelaisTesting
import Testing

// The shipped lab plugins that notify, on the sample programme: a second import cancels a
// Breton event (ti-lab e-mails its agents), reschedules one in Hauts-de-France (siilab
// drops a file for its dashboard) and cancels one in Nouvelle-Aquitaine (la-base calls its
// website's webhook, signed). `relais outbox deliver` then sends all three through a fake
// sendmail, a folder and a real HTTP receiver on 127.0.0.1.

@Suite("Lab plugins notify", .serialized)
struct LabNotificationTests {
    /// The sample programme with three changes, as JSON Lines.
    private func changedProgramme(into directory: TemporaryDirectory) throws -> String {
        let lines = try String(contentsOfFile: ProjectFiles.sampleJSONLines, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var changed: [String] = []
        for line in lines {
            guard var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            switch object["id"] as? String {
            case "mip2020-ti-lab-rencontre-ditp-rennes", "mip2020-nouvelle-aquitaine-pitch-toi":
                object["status"] = "cancelled"
            case "mip2020-siilab-rencontre-ditp-lille":
                object["slots"] = [["start": "2020-11-27T14:00:00+01:00", "end": "2020-11-27T16:00:00+01:00"]]
            default:
                break
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            changed.append(String(decoding: data, as: UTF8.self))
        }
        return try directory.write("changed.jsonl", changed.joined(separator: "\n") + "\n")
    }

    @Test func cancellationsAndReschedulesReachEachLabByItsChannel() throws {
        let directory = try TemporaryDirectory()
        let receiver = try PythonHTTPReceiver(in: directory)
        defer { receiver.stop() }
        let mails = directory.path("mails")
        try FileManager.default.createDirectory(atPath: mails, withIntermediateDirectories: true)
        let sendmail = try directory.write(
            "fake-sendmail", "#!/bin/sh\ncat > \"\(mails)/message-$$.eml\"\n")
        chmod(sendmail, 0o755)
        let configuration = try directory.write(
            "relais.conf",
            """
            [sendmail]
            command = \(sendmail) -t -oi
            from = Relais <relais@example.org>

            [file]
            folder = spool

            [secrets.la-base]
            webhook = le-secret-de-la-base
            webhook-url = http://127.0.0.1:\(receiver.port)/hooks/relais?token=jeton-du-site
            """)
        chmod(configuration, 0o600)
        let catalogue = directory.path("c.sqlite")
        let base = ["--catalogue", catalogue, "--plugins", ProjectFiles.root.appendingPathComponent("Plugins").path]

        let first = try RelaisProcess.run(base + ["import", ProjectFiles.sampleJSONLines], in: directory.path)
        #expect(first.status == 0, "\(first)")
        let second = try RelaisProcess.run(base + ["import", try changedProgramme(into: directory)], in: directory.path)
        #expect(second.status == 0, "\(second)")
        #expect(second.standardOutput.contains("1 rescheduled, 2 cancelled"), "\(second)")

        let listed = try RelaisProcess.run(["--catalogue", catalogue, "outbox", "list"], in: directory.path)
        #expect(listed.standardOutput.contains("sendmail → mois-innovation@ti-lab.bzh"), "\(listed)")
        #expect(listed.standardOutput.contains("file → siilab-changements"), "\(listed)")
        // The URL is a secret of la-base: the outbox keeps a reference to it, shown by name.
        #expect(listed.standardOutput.contains("webhook → ‹secret:webhook-url›"), "\(listed)")
        #expect(!listed.standardOutput.contains("le-secret-de-la-base"), "secrets never appear in listings")
        #expect(!listed.standardOutput.contains("jeton-du-site"), "a URL's token never appears in listings")

        let delivered = try RelaisProcess.run(base + ["outbox", "deliver"], in: directory.path)
        #expect(delivered.status == 0, "\(delivered)")
        #expect(delivered.standardOutput.contains("delivered 3, to retry 0, dead 0"), "\(delivered)")

        // ti-lab: an e-mail that Python's email package reads back, French subject intact.
        let messages = try FileManager.default.contentsOfDirectory(atPath: mails)
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        let parsed = try RelaisProcess.python(
            """
            import email, email.policy, json, sys
            m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
            print(json.dumps({"subject": m["subject"], "to": m["to"], "type": m.get_content_type(),
                "text": m.get_body(("plain",)).get_content(), "html": m.get_body(("html",)).get_content()}))
            """, arguments: [mails + "/" + message])
        let mail = try #require(try JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [String: String])
        #expect(mail["subject"] == "[Ti-Lab] Événement annulé : Rencontre de la DITP avec le laboratoire d’innovation territoriale à Rennes")
        #expect(mail["to"] == "mois-innovation@ti-lab.bzh")
        #expect(mail["type"] == "multipart/alternative")
        #expect(mail["text"]?.contains("Était prévu : le 13 novembre 2020") == true, "\(mail)")
        #expect(mail["html"]?.contains("<strong>Rencontre de la DITP") == true, "\(mail)")

        // siilab: one JSON file for its dashboard, with the new and the previous slots.
        let spool = directory.path("spool/siilab-changements")
        let files = try FileManager.default.contentsOfDirectory(atPath: spool)
        #expect(files.count == 1)
        let document = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: spool + "/" + (try #require(files.first))))) as? [String: Any]
        let body = try #require(document?["body"] as? String)
        #expect(body.contains("\"type\":\"event.rescheduled\""), "\(body)")
        #expect(body.contains("\"id\":\"mip2020-siilab-rencontre-ditp-lille\""), "\(body)")
        #expect(body.contains("2020-11-27T14:00:00+01:00") && body.contains("\"previous_slots\""), "\(body)")

        // la-base: one signed webhook, whose signature a receiver can check.
        let requests = try receiver.requests()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        let headers = try #require(request["headers"] as? [String: String])
        let payload = try #require(request["body"] as? String)
        #expect(request["path"] as? String == "/hooks/relais?token=jeton-du-site")
        #expect(payload.contains("\"id\":\"mip2020-nouvelle-aquitaine-pitch-toi\""), "\(payload)")
        #expect(headers["Idempotency-Key"]?.hasPrefix("la-base/") == true, "\(headers)")
        let signature = try RelaisProcess.python(
            """
            import hashlib, hmac, sys
            print("sha256=" + hmac.new(b"le-secret-de-la-base", sys.argv[1].encode(), hashlib.sha256).hexdigest())
            """, arguments: [payload]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(headers["X-Relais-Signature"] == signature, "\(headers)")

        // Delivering again sends nothing more.
        let again = try RelaisProcess.run(base + ["outbox", "deliver"], in: directory.path)
        #expect(again.standardOutput.contains("delivered 0, to retry 0, dead 0"), "\(again)")
        #expect(try receiver.requests().count == 1)
    }
}

extension RelaisProcess {
    /// Runs a Python script with arguments and returns its standard output.
    static func python(_ script: String, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        // Python's errors go to the test's own standard error, where a failure shows them.
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
