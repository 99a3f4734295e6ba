import Foundation

/// What `relais.notify` accepts, checked when a script asks rather than when the delivery
/// fails days later.
enum DeliveryRules {
    /// Keys are printed in listings and name files of the `file` channel.
    static func checkKey(_ key: String) throws {
        guard !key.isEmpty, key.utf8.count <= 200 else {
            throw LuaFunctionError("relais.notify: key must have 1 to 200 bytes")
        }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw LuaFunctionError("relais.notify: key must not contain control characters")
        }
    }

    static func checkRecipient(_ recipient: String, channel: String) throws {
        switch channel {
        case "webhook":
            guard let url = URL(string: recipient), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else {
                throw LuaFunctionError("relais.notify: a webhook goes to an http:// or https:// URL, not '\(recipient.prefix(80))'")
            }
        case "sendmail":
            let addresses = recipient.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !addresses.isEmpty,
                addresses.allSatisfy({ address in
                    let parts = address.split(separator: "@", omittingEmptySubsequences: false)
                    return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
                        && !address.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" })
                })
            else {
                throw LuaFunctionError(
                    "relais.notify: sendmail goes to e-mail addresses separated by commas, not '\(recipient.prefix(80))'")
            }
        case "file":
            guard !recipient.isEmpty, recipient.utf8.count <= 100,
                recipient.unicodeScalars.allSatisfy({ scalar in
                    CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "-" || scalar == "_"
                })
            else {
                throw LuaFunctionError(
                    "relais.notify: the file channel goes to a folder name (letters, digits, - and _), not '\(recipient.prefix(80))'")
            }
        default:
            throw LuaFunctionError("relais.notify: unknown channel '\(channel)'")
        }
    }
}
