import Foundation

/// Secrets that a plugin puts into a delivery itself — a webhook URL that carries a token,
/// an API key in a header — are not stored in the outbox: each occurrence of a secret's
/// value is replaced by a reference to the secret's name, and the reference is resolved
/// only when the delivery is sent. Listings show the reference (`‹secret:webhook-url›`),
/// never the value; a secret rotated in the configuration is picked up by every delivery
/// still waiting.
///
/// A reference is the secret's name between two characters of Unicode's private use area
/// (U+E000, U+E001), which Relais refuses in whatever a plugin hands to the outbox, so a
/// reference is never mistaken for text and concealing then resolving gives back exactly
/// the text the plugin wrote.
public enum SecretReference {
    static let opening: Unicode.Scalar = "\u{E000}"
    static let closing: Unicode.Scalar = "\u{E001}"
    static let marker = "secret:"

    /// A secret named in a delivery that the configuration no longer holds.
    public struct MissingSecret: Error, CustomStringConvertible, Equatable, Sendable {
        public let name: String
        public init(name: String) { self.name = name }
        public var description: String { "secret '\(name)' is not configured" }
    }

    /// The reference to the secret `name`, as the outbox stores it.
    public static func reference(to name: String) -> String {
        String(opening) + marker + name + String(closing)
    }

    /// Whether `text` holds one of the characters references are made of (and so cannot be
    /// handed to the outbox as it is).
    public static func containsReservedCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == opening || $0 == closing }
    }

    /// `text` with every occurrence of a secret's value replaced by a reference to it. At
    /// each position the longest value that matches wins, and replaced text is never
    /// searched again (a value cannot match inside a reference).
    public static func conceal(_ text: String, secrets: [(name: String, value: String)]) -> String {
        let candidates = secrets.filter { !$0.value.isEmpty }
            .map { (name: $0.name, bytes: Array($0.value.utf8)) }
            .sorted { $0.bytes.count > $1.bytes.count }
        guard !candidates.isEmpty else { return text }
        let firstBytes = Set(candidates.map { $0.bytes[0] })
        let source = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(source.count)
        var index = 0
        var changed = false
        scanning: while index < source.count {
            if firstBytes.contains(source[index]) {
                for candidate in candidates where index + candidate.bytes.count <= source.count {
                    if source[index..<(index + candidate.bytes.count)].elementsEqual(candidate.bytes) {
                        output.append(contentsOf: reference(to: candidate.name).utf8)
                        index += candidate.bytes.count
                        changed = true
                        continue scanning
                    }
                }
            }
            output.append(source[index])
            index += 1
        }
        // Values are whole UTF-8 strings, so cutting them out leaves whole characters.
        return changed ? String(decoding: output, as: UTF8.self) : text
    }

    /// `text` with every reference replaced by what `lookup` gives for its name.
    /// Throws ``MissingSecret`` when `lookup` has nothing for one of them.
    public static func resolve(_ text: String, lookup: (String) -> String?) throws -> String {
        try replacingReferences(in: text) { name in
            guard let value = lookup(name) else { throw MissingSecret(name: name) }
            return value
        }
    }

    /// `text` with every reference shown as `‹secret:name›`, for listings and logs.
    public static func shown(_ text: String) -> String {
        // The closure never throws.
        (try? replacingReferences(in: text) { name in "‹secret:\(name)›" }) ?? text
    }

    /// The names of the secrets `text` refers to, in order of appearance.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        _ = try? replacingReferences(in: text) { name in
            names.append(name)
            return ""
        }
        return names
    }

    private static func replacingReferences(in text: String, _ replacement: (String) throws -> String) throws -> String {
        guard text.unicodeScalars.contains(opening) else { return text }
        var output = String.UnicodeScalarView()
        var scalars = text.unicodeScalars[...]
        while let start = scalars.firstIndex(of: opening) {
            output.append(contentsOf: scalars[..<start])
            let afterOpening = scalars[scalars.index(after: start)...]
            guard let end = afterOpening.firstIndex(of: closing),
                String(afterOpening[..<end]).hasPrefix(marker)
            else {
                // Not a reference (Relais never writes one like this): kept as it is.
                output.append(scalars[start])
                scalars = afterOpening
                continue
            }
            let name = String(String(afterOpening[..<end]).dropFirst(marker.count))
            output.append(contentsOf: try replacement(name).unicodeScalars)
            scalars = afterOpening[afterOpening.index(after: end)...]
        }
        output.append(contentsOf: scalars)
        return String(output)
    }
}

extension DeliveryRequest {
    /// This request with every occurrence of `secrets`' values — in the recipient, the
    /// subject, the body, the HTML and the headers' values — replaced by references.
    /// The key, channel and origin are kept as they are.
    public func concealing(_ secrets: [(name: String, value: String)]) -> DeliveryRequest {
        guard secrets.contains(where: { !$0.value.isEmpty }) else { return self }
        var request = self
        request.recipient = SecretReference.conceal(recipient, secrets: secrets)
        request.subject = subject.map { SecretReference.conceal($0, secrets: secrets) }
        request.body = SecretReference.conceal(body, secrets: secrets)
        request.html = html.map { SecretReference.conceal($0, secrets: secrets) }
        request.headers = headers.map { Header(name: $0.name, value: SecretReference.conceal($0.value, secrets: secrets)) }
        return request
    }

    /// This request as it is sent: every reference replaced by the secret of `origin` it
    /// names. Also returns the secrets' values used, so that what the attempt reports can be
    /// concealed again. Throws ``SecretReference/MissingSecret`` when one is not configured.
    public func resolvingSecrets(from source: (any SecretSource)?) throws -> (DeliveryRequest, [(name: String, value: String)]) {
        var used: [String: String] = [:]
        let lookup: (String) -> String? = { name in
            if let known = used[name] { return known }
            let value = source?.secret(owner: self.origin, name: name)
            if let value { used[name] = value }
            return value
        }
        var request = self
        request.recipient = try SecretReference.resolve(recipient, lookup: lookup)
        request.subject = try subject.map { try SecretReference.resolve($0, lookup: lookup) }
        request.body = try SecretReference.resolve(body, lookup: lookup)
        request.html = try html.map { try SecretReference.resolve($0, lookup: lookup) }
        request.headers = try headers.map { Header(name: $0.name, value: try SecretReference.resolve($0.value, lookup: lookup)) }
        return (request, used.map { (name: $0.key, value: $0.value) })
    }
}
