import Foundation
import RelaisCore

/// Pipes each delivery, as an RFC 5322 message, to a sendmail-compatible command
/// (`/usr/sbin/sendmail -t -oi` by default): the Unix way, so any local MTA, or msmtp,
/// delivers it. The command reads the recipients from the message (`-t`).
///
/// Exit status 0 is delivered. The sysexits codes that mean the message can never be
/// delivered (`EX_DATAERR`, `EX_NOUSER`, `EX_NOHOST`) are refusals; anything else,
/// `EX_TEMPFAIL` included, is retried.
public struct SendmailChannel: DeliveryChannel {
    public let command: [String]
    public let from: String
    /// How long one message may take before the command is killed and the attempt failed.
    public let timeout: TimeInterval

    public init(command: [String], from: String, timeout: TimeInterval = 60) {
        self.command = command
        self.from = from
        self.timeout = timeout
    }

    public func send(_ deliveries: [Delivery]) -> [DeliveryResult] {
        deliveries.map(send)
    }

    private static let permanentExitCodes: Set<Int32> = [65, 67, 68]

    private func send(_ delivery: Delivery) -> DeliveryResult {
        guard let executable = command.first else { return .failed("no sendmail command configured", retryAfter: nil) }
        let message = MailMessage.render(delivery, from: from, date: Date())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return .failed("cannot run \(executable): \(error.localizedDescription)", retryAfter: nil)
        }
        // A command that stops reading makes writes fail with EPIPE, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let written = (try? input.fileHandleForWriting.write(contentsOf: Data(message.utf8))) != nil
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return .failed("\(executable) did not finish within \(Int(timeout)) s", retryAfter: nil)
        }
        let stderr = String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
        let status = process.terminationStatus
        if process.terminationReason == .exit && status == 0 && written {
            return .delivered("\(executable) accepted the message")
        }
        let what =
            process.terminationReason == .uncaughtSignal
            ? "\(executable) was killed by signal \(status)" : "\(executable) exited with status \(status)"
        let detail = stderr.isEmpty ? what : "\(what): \(stderr)"
        if process.terminationReason == .exit && Self.permanentExitCodes.contains(status) { return .refused(detail) }
        return .failed(detail, retryAfter: nil)
    }
}
