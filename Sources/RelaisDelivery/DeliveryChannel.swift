import Foundation
import RelaisCore

/// What became of one attempt to send a delivery.
public enum DeliveryResult: Sendable, Equatable {
    /// The receiver took it.
    case delivered(String)
    /// A failure that may pass: try again later (after `retryAfter` seconds if the
    /// receiver said so).
    case failed(String, retryAfter: TimeInterval?)
    /// A refusal that will not pass (a 4xx, an unknown recipient): do not try again.
    case refused(String)

    /// The short text recorded with the attempt.
    public var detail: String {
        switch self {
        case .delivered(let detail), .failed(let detail, _), .refused(let detail): detail
        }
    }

    /// This result with `secrets`' values in its text replaced by references (an error may
    /// quote the URL or the command it failed on).
    func concealing(_ secrets: [(name: String, value: String)]) -> DeliveryResult {
        guard !secrets.isEmpty else { return self }
        let hide = { (text: String) in SecretReference.shown(SecretReference.conceal(text, secrets: secrets)) }
        switch self {
        case .delivered(let detail): return .delivered(hide(detail))
        case .failed(let detail, let retryAfter): return .failed(hide(detail), retryAfter: retryAfter)
        case .refused(let detail): return .refused(hide(detail))
        }
    }
}

/// A way out: webhook, sendmail, file. Given a batch of deliveries (all of its channel),
/// it returns one result per delivery, in order; it may send them concurrently.
public protocol DeliveryChannel: Sendable {
    func send(_ deliveries: [Delivery]) -> [DeliveryResult]

    /// The longest `send` of `count` deliveries can take (its timeouts), so that the
    /// worker's leases outlast it.
    func longestTime(toSend count: Int) -> TimeInterval
}

/// Names of deliveries' files and messages: the key, made safe for a file name, with a
/// short digest of the key when it had to be changed (so two keys never share a file).
enum DeliveryNames {
    static func fileName(forKey key: String) -> String {
        var safe = ""
        var changed = false
        for scalar in key.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "." || scalar == "_" {
                safe.unicodeScalars.append(scalar)
            } else {
                safe += "_"
                changed = true
            }
        }
        if safe.hasPrefix(".") {
            safe = "_" + safe.dropFirst()
            changed = true
        }
        if changed { safe += "-" + digest(key) }
        return safe
    }

    /// A stable 16-hex-digit digest (FNV-1a 64) of `text`.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
