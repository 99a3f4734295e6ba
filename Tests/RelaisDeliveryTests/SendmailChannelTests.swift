// The sendmail channel against real processes: a shell script stands in for sendmail,
// records its arguments and the message beside itself, and exits as each test chooses.
// The messages it receives (and those `MailMessage.render` writes) are read back with
// Python's `email` package, an independent RFC 5322 / MIME parser.

import Foundation
import RelaisCore
import RelaisDelivery
import RelaisTesting
import Testing

@Suite("Sendmail channel", .timeLimit(.minutes(1)))
struct SendmailChannelTests {
    static let from = "La Base <labase@example.org>"
    /// Accents, French quotes, a typographic apostrophe, and far more than the 45 bytes of
    /// one encoded word.
    static let subject =
        "Annulation : « Atelier design des politiques publiques » à Poitiers, mardi 10 novembre — l’équipe s’excuse"
    /// Lines longer than 76 characters, accents, trailing spaces and tabs, `=` signs, a
    /// line starting with `=` and one that is a lone dot.
    static let body = [
        "Bonjour,",
        "",
        "L’atelier « design des politiques publiques » prévu à Poitiers le mardi 10 novembre est annulé ; "
            + "les inscrit·es seront remboursé·es sous quinze jours, et une nouvelle date sera proposée dès que possible.",
        "Cette ligne finit par une espace ",
        "Et celle-ci par une tabulation\t",
        "Calcul : 2 + 2 = 4, a=b==c, 100 % = 1",
        String(repeating: "=", count: 90),
        "=début par un signe égal",
        ".",
        "Cordialement,",
        "L’équipe de La Base",
    ].joined(separator: "\n")
    static let html =
        "<p>L’atelier « design des politiques publiques » prévu à Poitiers est <strong>annulé</strong>.</p>\n"
        + "<p style=\"color: #333\">" + String(repeating: "Une phrase accentuée, répétée. ", count: 8) + "</p>\n"
        + "<p>Dernière ligne avec une espace finale </p>"

    // MARK: - Exit status

    @Test func exitStatusZeroIsDeliveredAndTheCommandGetsItsArgumentsAndTheMessage() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        let results = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
            .send([sendmailDelivery()])
        #expect(results.count == 1)
        let result = try #require(results.first)
        guard case .delivered(let detail) = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
        #expect(detail.contains(fake.script))
        #expect(try fake.arguments() == ["-t", "-oi"])
        let message = try fake.message()
        #expect(message.contains("To: a@example.org, b@example.org\r\n"))
        #expect(message.contains("From: La Base <labase@example.org>\r\n"))
    }

    @Test func exitStatusSeventyFiveTempFailIsRetried() throws {
        let fake = try FakeSendmail(.readThenExit(75, stderr: "queue is full, try later"))
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
                .send([sendmailDelivery()]).first)
        guard case .failed(let detail, let retryAfter) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains("75"))
        #expect(detail.contains("queue is full, try later"))
        #expect(retryAfter == nil)
    }

    @Test func exitStatusSixtySevenNoUserIsRefused() throws {
        let fake = try FakeSendmail(.readThenExit(67, stderr: "a@example.org: user unknown"))
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
                .send([sendmailDelivery()]).first)
        guard case .refused(let detail) = result else {
            Issue.record("expected refused, got \(result)")
            return
        }
        #expect(detail.contains("67"))
        #expect(detail.contains("user unknown"))
    }

    @Test func aRefusalWithAVerboseErrorOutputIsStillARefusal() throws {
        // 100 KB on standard error, more than a pipe holds, then EX_NOUSER.
        let fake = try FakeSendmail(.readThenExit(67, stderrBytes: 100_000))
        let clock = ContinuousClock()
        let start = clock.now
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 3)
                .send([sendmailDelivery()]).first)
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(2), "took \(elapsed)")
        guard case .refused(let detail) = result else {
            Issue.record("expected refused, got \(result)")
            return
        }
        #expect(detail.contains("67"))
        #expect(detail.contains("0000"))
    }

    @Test func aCommandThatLeavesABackgroundChildIsDeliveredWhenItExits() throws {
        // Like an MTA that forks a background delivery process: the command itself takes the
        // message and exits 0 at once; its child (std streams redirected) lives on for 4 s.
        let fake = try FakeSendmail(.readThenExitLeavingChild(seconds: 4))
        let clock = ContinuousClock()
        let start = clock.now
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 1)
                .send([sendmailDelivery()]).first)
        let elapsed = clock.now - start
        // The channel waits for the command (waitpid), not for its descendants.
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        guard case .delivered = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
    }

    @Test func eachDeliveryOfABatchGetsItsOwnResultInOrder() throws {
        let accepting = try FakeSendmail(.readThenExit(0))
        let deliveries = [
            sendmailDelivery(key: "la-base/1/sendmail/1"), sendmailDelivery(key: "la-base/1/sendmail/2"),
            sendmailDelivery(key: "la-base/1/sendmail/3"),
        ]
        let results = SendmailChannel(command: [accepting.script, "-t", "-oi"], from: Self.from, timeout: 10)
            .send(deliveries)
        #expect(results.count == 3)
        #expect(results.allSatisfy { if case .delivered = $0 { true } else { false } })
    }

    /// A command file still open for writing (just installed, or its writer's descriptor
    /// inherited by a process forked meanwhile) cannot be executed for a moment (ETXTBSY);
    /// the channel waits for it instead of failing the delivery.
    @Test func aCommandStillOpenForWritingIsRunOnceItIsClosed() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        let writer = open(fake.script, O_WRONLY | O_APPEND | O_CLOEXEC)
        try #require(writer >= 0)
        let closed = DispatchSemaphore(value: 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) {
            close(writer)
            closed.signal()
        }
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
                .send([sendmailDelivery()]).first)
        closed.wait()
        guard case .delivered = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
        #expect(try fake.message().contains("From: La Base <labase@example.org>\r\n"))
    }

    @Test func aMissingExecutableFailsNamingIt() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/sendmail"
        let result = try #require(
            SendmailChannel(command: [missing, "-t", "-oi"], from: Self.from, timeout: 10)
                .send([sendmailDelivery()]).first)
        guard case .failed(let detail, _) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains(missing))
    }

    @Test func anEmptyCommandFailsInsteadOfCrashing() throws {
        let result = try #require(
            SendmailChannel(command: [], from: Self.from, timeout: 10).send([sendmailDelivery()]).first)
        guard case .failed = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
    }

    // MARK: - Commands that misbehave

    @Test func aCommandThatNeverExitsIsKilledAtTheTimeout() throws {
        let fake = try FakeSendmail(.readThenHang)
        let clock = ContinuousClock()
        let start = clock.now
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 1)
                .send([sendmailDelivery()]).first)
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        guard case .failed(let detail, _) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains("did not finish"))
        #expect(detail.contains(fake.script))
    }

    @Test func aCommandThatExitsWithoutReadingTheMessageGivesAResult() throws {
        // Small messages fit in the pipe, so the write may or may not race the exit: either
        // result is acceptable, but the test process must not die of SIGPIPE.
        for _ in 0..<5 {
            let fake = try FakeSendmail(.exitWithoutReading(0))
            let results = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
                .send([sendmailDelivery()])
            #expect(results.count == 1)
        }
    }

    @Test func aCommandThatExitsZeroWithoutReadingALargeMessageDidNotDeliverIt() throws {
        // More than a pipe holds: the message cannot have been taken.
        let fake = try FakeSendmail(.exitWithoutReading(0))
        let large = sendmailDelivery(body: String(repeating: "Une ligne de programme assez longue pour remplir le tuyau.\n", count: 5_000))
        let result = try #require(
            SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10).send([large]).first)
        guard case .failed = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
    }

    @Test func aCommandThatNeitherReadsNorExitsIsStoppedAtTheTimeoutEvenWithALargeMessage() throws {
        let fake = try FakeSendmail(.hangWithoutReading)
        let channel = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 1)
        let large = sendmailDelivery(body: String(repeating: "Une ligne de programme assez longue pour remplir le tuyau.\n", count: 5_000))
        let outcome = SendmailOutcome()
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            outcome.set(channel.send([large]))
            finished.signal()
        }
        let finishedInTime = finished.wait(timeout: .now() + 4) == .success
        if !finishedInTime {
            // Unblock the channel ourselves: once the stand-in is gone, its write fails.
            if let pid = fake.pid() { kill(pid, SIGKILL) }
            _ = finished.wait(timeout: .now() + 20)
        }
        #expect(finishedInTime, "send did not return within 4 s with a 1 s timeout")
        let result = try #require(outcome.get()?.first)
        guard case .failed(let detail, _) = result else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(detail.contains("did not finish"))
    }

    // MARK: - The message, read by Python's email package

    @Test func aTextOnlyMessageParsesWithTheExactSubjectAddressesAndBody() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        let before = Date()
        _ = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10).send([sendmailDelivery()])
        let parsed = try PythonEmail.parse(fake.messageURL)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.subject == Self.subject)
        #expect(parsed.from == [[ "La Base", "labase@example.org" ]])
        #expect(parsed.to == ["a@example.org", "b@example.org"])
        #expect(parsed.headerCount("To") == 1)
        #expect(parsed.type == "text/plain")
        let single = try #require(parsed.single)
        #expect(single.charset == "utf-8")
        #expect(single.cte == "quoted-printable")
        #expect(sameText(single.content, Self.body), "decoded body: \(String(reflecting: single.content))")
        // The date is now, give or take the run.
        let timestamp = try #require(parsed.timestamp)
        #expect(abs(timestamp - before.timeIntervalSince1970) < 120)
        #expect(parsed.messageID?.hasPrefix("<") == true && parsed.messageID?.hasSuffix(">") == true)
    }

    @Test func aMessageWithHTMLIsMultipartAlternativeWithBothPartsDecodingToTheInputs() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        _ = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
            .send([sendmailDelivery(html: Self.html)])
        let parsed = try PythonEmail.parse(fake.messageURL)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.type == "multipart/alternative")
        #expect(parsed.subject == Self.subject)
        #expect(parsed.parts.map(\.type) == ["text/plain", "text/html"])
        try #require(parsed.parts.count == 2)
        #expect(parsed.parts.allSatisfy { $0.charset == "utf-8" })
        #expect(sameText(parsed.parts[0].content, Self.body), "\(String(reflecting: parsed.parts[0].content))")
        #expect(sameText(parsed.parts[1].content, Self.html), "\(String(reflecting: parsed.parts[1].content))")
    }

    @Test func theSameDeliveryRenderedTwiceHasTheSameMessageID() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        let channel = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
        _ = channel.send([sendmailDelivery()])
        let first = try PythonEmail.parse(fake.messageURL)
        _ = channel.send([sendmailDelivery()])
        let again = try PythonEmail.parse(fake.messageURL)
        _ = channel.send([sendmailDelivery(key: "la-base/43/sendmail/1")])
        let other = try PythonEmail.parse(fake.messageURL)
        let id = try #require(first.messageID)
        #expect(again.messageID == id)
        #expect(other.messageID != id)
        #expect(first.headerCount("Message-ID") == 1)
    }

    @Test func extraHeadersAppearButCannotReplaceTheOnesRelaisWrites() throws {
        let fake = try FakeSendmail(.readThenExit(0))
        let headers: [DeliveryRequest.Header] = [
            .init(name: "Reply-To", value: "contact@labase.example.org"),
            .init(name: "X-Lieu", value: "Poitiers, salle Aliénor-d’Aquitaine"),
            .init(name: "Subject", value: "Sujet piraté"),
            .init(name: "Bcc", value: "espion@example.org"),
            .init(name: "bcc", value: "espion2@example.org"),
            .init(name: "FROM", value: "usurpateur@example.org"),
            .init(name: "Message-ID", value: "<usurpe@example.org>"),
        ]
        _ = SendmailChannel(command: [fake.script, "-t", "-oi"], from: Self.from, timeout: 10)
            .send([sendmailDelivery(headers: headers)])
        let parsed = try PythonEmail.parse(fake.messageURL)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.values("Reply-To") == ["contact@labase.example.org"])
        #expect(parsed.values("X-Lieu") == ["Poitiers, salle Aliénor-d’Aquitaine"])
        #expect(parsed.values("Subject") == [Self.subject])
        #expect(parsed.headerCount("Bcc") == 0)
        #expect(parsed.headerCount("From") == 1)
        #expect(parsed.from == [["La Base", "labase@example.org"]])
        #expect(parsed.headerCount("Message-ID") == 1)
        #expect(parsed.messageID != "<usurpe@example.org>")
        #expect(parsed.values("X-Relais-Key") == ["la-base/42/sendmail/1"])
    }

    // MARK: - MailMessage.render directly

    @Test func renderedLinesEndWithCRLFAndNeverExceed998Bytes() throws {
        let longWord = String(repeating: "é", count: 1_500)
        let delivery = sendmailDelivery(
            subject: String(repeating: "Atelier « design » à Poitiers ", count: 40),
            body: longWord + "\n" + String(repeating: "x", count: 3_000) + "\n" + Self.body + "\r\nfin\rvraie fin",
            html: "<p>" + String(repeating: "a=b ", count: 800) + "</p>",
            headers: [.init(name: "X-Long", value: String(repeating: "mot ", count: 600))])
        let rendered = MailMessage.render(delivery, from: Self.from, date: Date(timeIntervalSince1970: 1_605_000_000))
        #expect(rendered.hasSuffix("\r\n"))
        let withoutCRLF = rendered.replacingOccurrences(of: "\r\n", with: "")
        #expect(!withoutCRLF.contains("\r") && !withoutCRLF.contains("\n"), "a bare CR or LF")
        let lines = rendered.components(separatedBy: "\r\n").dropLast()
        for line in lines {
            #expect(line.utf8.count <= 998, "a line of \(line.utf8.count) bytes: \(line.prefix(60))…")
        }
        // Quoted-printable keeps body lines within 76 characters.
        let bodyLines = lines.drop { !$0.isEmpty }
        #expect(!bodyLines.isEmpty)
        for line in bodyLines {
            #expect(line.utf8.count <= 76, "a body line of \(line.utf8.count) bytes: \(line.prefix(60))…")
        }
    }

    @Test func renderedMessageIsPlainASCII() throws {
        let rendered = MailMessage.render(
            sendmailDelivery(html: Self.html, headers: [.init(name: "X-Lieu", value: "Salle Aliénor")]),
            from: Self.from, date: Date(timeIntervalSince1970: 1_605_000_000))
        #expect(rendered.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test func renderingIsStableForTheSameDeliveryAndDate() throws {
        let date = Date(timeIntervalSince1970: 1_605_000_000)
        let delivery = sendmailDelivery(html: Self.html)
        #expect(MailMessage.render(delivery, from: Self.from, date: date) == MailMessage.render(delivery, from: Self.from, date: date))
    }

    @Test(arguments: [
        // 2020-11-10 08:30 UTC: winter, Paris is UTC+1.
        (1_604_997_000.0, "Date: Tue, 10 Nov 2020 09:30:00 +0100", "2020-11-10T09:30:00+01:00"),
        // 2020-07-01 10:00 UTC: summer, Paris is UTC+2.
        (1_593_597_600.0, "Date: Wed, 01 Jul 2020 12:00:00 +0200", "2020-07-01T12:00:00+02:00"),
    ])
    func theDateIsParisTimeInRFC5322Form(timestamp: Double, header: String, iso: String) throws {
        let directory = try TemporaryDirectory()
        let rendered = MailMessage.render(
            sendmailDelivery(), from: Self.from, date: Date(timeIntervalSince1970: timestamp))
        #expect(rendered.contains("\r\n" + header + "\r\n"))
        let file = try directory.write("message.eml", rendered)
        let parsed = try PythonEmail.parse(URL(fileURLWithPath: file))
        #expect(parsed.date == iso)
        #expect(parsed.timestamp == timestamp)
    }

    @Test func aSubjectWithLineBreaksCannotInjectHeaders() throws {
        let directory = try TemporaryDirectory()
        let rendered = MailMessage.render(
            sendmailDelivery(subject: "Programme\r\nBcc: espion@example.org\nX-Injecté: oui"), from: Self.from,
            date: Date(timeIntervalSince1970: 1_605_000_000))
        let parsed = try PythonEmail.parse(URL(fileURLWithPath: try directory.write("message.eml", rendered)))
        #expect(parsed.headerCount("Bcc") == 0)
        #expect(parsed.headerCount("X-Injecté") == 0)
        #expect(parsed.subject?.hasPrefix("Programme") == true)
        #expect(parsed.subject?.contains("espion@example.org") == true)
    }

    @Test func aFromWithAnAccentedDisplayNameKeepsAParsableAddress() throws {
        let directory = try TemporaryDirectory()
        let rendered = MailMessage.render(
            sendmailDelivery(), from: "Pôle numérique de La Base <labase@example.org>",
            date: Date(timeIntervalSince1970: 1_605_000_000))
        let parsed = try PythonEmail.parse(URL(fileURLWithPath: try directory.write("message.eml", rendered)))
        #expect(parsed.from == [["Pôle numérique de La Base", "labase@example.org"]], "From: \(parsed.from ?? [])")
    }

    @Test func aLongASCIIFromKeepsAParsableAddress() throws {
        let directory = try TemporaryDirectory()
        let from = "Laboratoire d'innovation publique de la Nouvelle-Aquitaine <labo@example.org>"
        let rendered = MailMessage.render(sendmailDelivery(), from: from, date: Date(timeIntervalSince1970: 1_605_000_000))
        let parsed = try PythonEmail.parse(URL(fileURLWithPath: try directory.write("message.eml", rendered)))
        #expect(parsed.from?.last?.last == "labo@example.org", "From: \(parsed.from ?? [])")
    }
}

// MARK: - Helpers

/// A delivery on the sendmail channel, with the suite's French subject and body.
private func sendmailDelivery(
    subject: String? = SendmailChannelTests.subject, body: String = SendmailChannelTests.body, html: String? = nil,
    headers: [DeliveryRequest.Header] = [], key: String = "la-base/42/sendmail/1"
) -> Delivery {
    let created = Date(timeIntervalSince1970: 1_604_997_000)
    return Delivery(
        id: 1,
        request: DeliveryRequest(
            channel: "sendmail", recipient: "a@example.org,b@example.org", subject: subject, body: body, html: html,
            headers: headers, key: key, origin: "la-base", changeSequence: 42),
        status: .pending, attempts: 0, createdAt: created, nextAttemptAt: created, deliveredAt: nil, lastError: nil)
}

/// Text decoded from a message equals the input, line ends aside: the message's lines
/// end in CRLF, and a single-part body ends with the message's last line end.
private func sameText(_ decoded: String?, _ expected: String) -> Bool {
    guard let decoded else { return false }
    let normalized = decoded.replacingOccurrences(of: "\r\n", with: "\n")
    return normalized == expected || normalized == expected + "\n"
}

/// A sendmail stand-in: a shell script in its own temporary folder that writes its
/// arguments (one a line) to `arguments` and what it reads to `message.eml`, beside itself.
private struct FakeSendmail {
    enum Behaviour {
        case readThenExit(Int32, stderr: String? = nil, stderrBytes: Int = 0)
        case readThenHang
        /// Reads the message, starts `sleep seconds` in the background, exits 0.
        case readThenExitLeavingChild(seconds: Int)
        case exitWithoutReading(Int32)
        case hangWithoutReading
    }

    let directory: TemporaryDirectory
    let script: String

    init(_ behaviour: Behaviour) throws {
        directory = try TemporaryDirectory()
        let action: String
        switch behaviour {
        case .readThenExit(let status, let stderr, let stderrBytes):
            action =
                "cat > \"$here/message.eml\"\n" + (stderr.map { "echo '\($0)' >&2\n" } ?? "")
                // The shell writes the error output itself: a child process writing it would keep
                // Foundation's process-monitor socket open, see `aCommandThatLeavesABackgroundChild…`.
                + (stderrBytes > 0
                    ? "i=0\nwhile [ $i -lt \(stderrBytes / 100) ]; do printf '%0100d' 0 >&2; i=$((i + 1)); done\n" : "")
                + "exit \(status)"
        case .readThenHang:
            action = "cat > \"$here/message.eml\"\nexec sleep 30"
        case .readThenExitLeavingChild(let seconds):
            action = "cat > \"$here/message.eml\"\nsleep \(seconds) < /dev/null > /dev/null 2>&1 &\nexit 0"
        case .exitWithoutReading(let status):
            action = "exit \(status)"
        case .hangWithoutReading:
            action = "echo $$ > \"$here/pid\"\nexec sleep 30"
        }
        script = try directory.write(
            "sendmail",
            """
            #!/bin/sh
            here=$(dirname "$0")
            printf '%s\\n' "$@" > "$here/arguments"
            \(action)

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    }

    var messageURL: URL { directory.url.appendingPathComponent("message.eml") }

    func message() throws -> String { try String(contentsOf: messageURL, encoding: .utf8) }

    func arguments() throws -> [String] {
        try String(contentsOfFile: directory.path("arguments"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The process id the script wrote, once it has.
    func pid() -> pid_t? {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: directory.path("pid"), encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            usleep(10_000)
        }
        return nil
    }
}

/// The results of a send run on another thread.
private final class SendmailOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [DeliveryResult]?

    func set(_ value: [DeliveryResult]) { lock.withLock { results = value } }
    func get() -> [DeliveryResult]? { lock.withLock { results } }
}

/// A message as Python's `email` package (policy `default`) reads it.
private struct PythonEmail: Decodable {
    struct Part: Decodable {
        var type: String
        var charset: String?
        var cte: String?
        var content: String?
    }

    var defects: [String]
    /// Every header, in order, decoded.
    var headers: [[String]]
    var subject: String?
    /// `[display name, address]` of each From address.
    var from: [[String]]?
    var to: [String]?
    var messageID: String?
    var date: String?
    var timestamp: Double?
    var type: String
    var parts: [Part]
    var single: Part?

    enum CodingKeys: String, CodingKey {
        case defects, headers, subject, from, to, date, timestamp, type, parts, single
        case messageID = "message_id"
    }

    func values(_ name: String) -> [String] {
        headers.filter { $0.first?.lowercased() == name.lowercased() }.compactMap { $0.last }
    }

    func headerCount(_ name: String) -> Int { values(name).count }

    static let script = #"""
        import sys, json, email, email.policy
        raw = open(sys.argv[1], 'rb').read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        def describe(part):
            return {
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "cte": part.get("Content-Transfer-Encoding"),
                "content": None if part.is_multipart() else part.get_content(),
            }
        def addresses(name):
            header = msg[name]
            if header is None:
                return None
            try:
                return header.addresses
            except Exception:
                return None
        froms = addresses("From")
        tos = addresses("To")
        date = msg["Date"]
        out = {
            "defects": [repr(d) for part in msg.walk() for d in part.defects],
            "headers": [[k, str(v)] for k, v in msg.items()],
            "subject": None if msg["Subject"] is None else str(msg["Subject"]),
            "from": None if froms is None else [[a.display_name, a.addr_spec] for a in froms],
            "to": None if tos is None else [a.addr_spec for a in tos],
            "message_id": None if msg["Message-ID"] is None else str(msg["Message-ID"]),
            "date": None if date is None or date.datetime is None else date.datetime.isoformat(),
            "timestamp": None if date is None or date.datetime is None else date.datetime.timestamp(),
            "type": msg.get_content_type(),
            "parts": [describe(p) for p in msg.iter_parts()] if msg.is_multipart() else [],
            "single": None if msg.is_multipart() else describe(msg),
        }
        print(json.dumps(out))
        """#

    static func parse(_ file: URL) throws -> PythonEmail {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The outputs are small; read them before waiting so a full pipe cannot block Python.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 could not read the message: \(errorText)")
        return try JSONDecoder().decode(PythonEmail.self, from: data)
    }
}
