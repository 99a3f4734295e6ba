import Foundation
import RelaisCore
import RelaisFormats

/// What a digest's `build` returned, checked: a subject, Markdown or text (or both), maybe
/// HTML, its recipients and the channel it goes out on.
public struct DigestContent: Sendable, Equatable {
    public var subject: String
    public var text: String?
    public var markdown: String?
    public var html: String?
    /// Who receives it (`to`): e-mail addresses for `sendmail`; empty when not given.
    public var recipients: [String]
    /// `sendmail` unless the digest says otherwise (`file`, `webhook`).
    public var channel: String

    public init(
        subject: String, text: String? = nil, markdown: String? = nil, html: String? = nil, recipients: [String] = [],
        channel: String = "sendmail"
    ) {
        self.subject = subject
        self.text = text
        self.markdown = markdown
        self.html = html
        self.recipients = recipients
        self.channel = channel
    }

    /// Reads the JSON the prelude made of `build`'s table (already type-checked there).
    init(json: String, shownAs name: String) throws {
        guard case .object(let fields) = try JSONText.parse(json) else {
            throw ScriptError(message: "\(name): build returned something unexpected")
        }
        func string(_ key: String) -> String? {
            if case .string(let value)? = fields[key] { return value }
            return nil
        }
        guard let subject = string("subject") else { throw ScriptError(message: "\(name): build returned no subject") }
        // Scalars, not Characters: "\r\n" is one Character.
        if subject.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw ScriptError(message: "\(name): the subject must be one line")
        }
        guard !subject.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ScriptError(message: "\(name): the subject is empty")
        }
        self.subject = subject
        text = string("text")
        markdown = string("markdown")
        html = string("html")
        channel = string("channel") ?? "sendmail"
        guard ["sendmail", "file", "webhook"].contains(channel) else {
            throw ScriptError(message: "\(name): unknown channel '\(channel)' (expected sendmail, file or webhook)")
        }
        recipients = []
        if case .array(let items)? = fields["to"] {
            for item in items {
                if case .string(let recipient) = item { recipients.append(recipient) }
            }
        }
        for recipient in recipients {
            do {
                try DeliveryRules.checkRecipient(recipient, channel: channel)
            } catch let error as LuaFunctionError {
                throw ScriptError(message: "\(name): \(error.message.replacingOccurrences(of: "relais.notify: ", with: ""))")
            }
        }
    }
}
