import Foundation
import RelaisCore

/// An RFC 5322 message for a `sendmail` delivery: UTF-8 throughout, French subjects as
/// RFC 2047 encoded words, quoted-printable bodies, and multipart/alternative when the
/// delivery has an HTML part. The `Message-ID` derives from the delivery key, so a message
/// sent again after a crash carries the same id and mail clients can drop the duplicate.
public enum MailMessage {
    public static func render(_ delivery: Delivery, from: String, date: Date) -> String {
        let request = delivery.request
        var lines: [String] = []
        lines.append(addressHeader("From", from))
        lines.append("To: " + request.recipient.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: ", "))
        lines.append(header("Subject", request.subject ?? "(sans objet)"))
        lines.append("Date: " + rfc5322Date(date))
        lines.append("Message-ID: <\(DeliveryNames.digest(request.key))-\(DeliveryNames.digest(request.origin))@relais>")
        lines.append("MIME-Version: 1.0")
        lines.append(header("X-Relais-Key", request.key))
        for extra in request.headers where !reserved.contains(extra.name.lowercased()) {
            lines.append(header(extra.name, extra.value))
        }
        if let html = request.html {
            let boundary = "relais-" + DeliveryNames.digest(request.key + "/boundary")
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--" + boundary)
            lines.append(contentsOf: part(request.body, type: "text/plain"))
            lines.append("--" + boundary)
            lines.append(contentsOf: part(html, type: "text/html"))
            lines.append("--" + boundary + "--")
        } else {
            lines.append(contentsOf: part(request.body, type: "text/plain"))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Headers Relais writes itself; a plugin cannot set them twice.
    private static let reserved: Set<String> = [
        "from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding",
        "x-relais-key", "cc", "bcc",
    ]

    private static func part(_ text: String, type: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", quotedPrintable(text)]
    }

    /// `Name: value`, the value as encoded words when it is not plain ASCII.
    static func header(_ name: String, _ value: String) -> String {
        let clean = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) && clean.utf8.count + name.count < 76 {
            return "\(name): \(clean)"
        }
        return "\(name): " + encodedWords(clean).joined(separator: "\r\n ")
    }

    /// `Name: Display name <address>`, encoding only the display name: an encoded word may
    /// not hold the address.
    static func addressHeader(_ name: String, _ value: String) -> String {
        let clean = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard let open = clean.lastIndex(of: "<"), clean.hasSuffix(">") else { return "\(name): \(clean)" }
        let display = clean[..<open].trimmingCharacters(in: .whitespaces)
        let address = String(clean[open...])
        if display.isEmpty { return "\(name): \(address)" }
        if display.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) {
            let quoted = display.contains(where: { ",;:<>@\"()[]\\.".contains($0) }) && !display.hasPrefix("\"")
                ? "\"" + display.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
                : display
            return "\(name): \(quoted) \(address)"
        }
        return "\(name): " + encodedWords(display).joined(separator: "\r\n ") + "\r\n " + address
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words of at most 75 characters, split between characters.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// Quoted-printable (RFC 2045), CRLF line ends, lines of at most 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var output: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var length = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                var piece: String
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast) {
                    piece = String(UnicodeScalar(byte))
                } else {
                    piece = String(format: "=%02X", byte)
                }
                if length + piece.count > 75 {
                    output.append(encoded + "=")
                    encoded = ""
                    length = 0
                }
                encoded += piece
                length += piece.count
            }
            output.append(encoded)
        }
        return output.joined(separator: "\r\n")
    }

    /// `Tue, 10 Nov 2020 09:30:00 +0100`, in Paris time.
    static func rfc5322Date(_ date: Date) -> String {
        let offset = ParisTime.offset(at: date)
        let local = date.addingTimeInterval(TimeInterval(offset))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: local)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = days[((parts.weekday ?? 1) - 1) % 7]
        let month = months[((parts.month ?? 1) - 1) % 12]
        let sign = offset < 0 ? "-" : "+"
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(two(parts.day ?? 1)) \(month) \(parts.year ?? 1970) "
            + "\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0)):\(two(parts.second ?? 0)) "
            + "\(sign)\(two(abs(offset) / 3600))\(two(abs(offset) / 60 % 60))"
    }
}
