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

    /// One message after the other, each within the timeout (and the few seconds a killed
    /// command takes to be reaped).
    public func longestTime(toSend count: Int) -> TimeInterval {
        Double(count) * (timeout + 5)
    }

    private static let permanentExitCodes: Set<Int32> = [65, 67, 68]

    private func send(_ delivery: Delivery) -> DeliveryResult {
        guard let executable = command.first else { return .failed("no sendmail command configured", retryAfter: nil) }
        let message = MailMessage.render(delivery, from: from, date: Date())
        // A command that stops reading makes our writes fail with EPIPE, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(command, input: Data(message.utf8), timeout: timeout)
        } catch let failure as ChildProcess.LaunchFailure {
            return .failed("cannot run \(executable): \(failure.message)", retryAfter: nil)
        } catch {
            return .failed("cannot run \(executable): \(error)", retryAfter: nil)
        }
        if outcome.timedOut {
            return .failed("\(executable) did not finish within \(Int(timeout)) s", retryAfter: nil)
        }
        let stderr = outcome.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
        if outcome.exitStatus == 0 && outcome.wroteInput {
            return .delivered("\(executable) accepted the message")
        }
        let what: String
        if let status = outcome.exitStatus {
            what = status == 0 ? "\(executable) exited before reading the whole message" : "\(executable) exited with status \(status)"
        } else {
            what = "\(executable) was killed by signal \(outcome.signal ?? 0)"
        }
        let detail = stderr.isEmpty ? what : "\(what): \(stderr)"
        if let status = outcome.exitStatus, Self.permanentExitCodes.contains(status) { return .refused(detail) }
        // 127: the shell convention for a command that was not found.
        return .failed(detail, retryAfter: nil)
    }
}

