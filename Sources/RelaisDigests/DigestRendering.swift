import Foundation
import Ink
import RelaisCore
import RelaisScripting

/// A digest ready to print or send: its subject, its plain text, and, when it has one,
/// its Markdown and its HTML document.
public struct RenderedDigest: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var markdown: String?
    /// A whole HTML document (UTF-8, `lang="fr"`), nil for a text-only digest.
    public var html: String?
}

/// Completes what a digest's `build` returned: from Markdown alone, the plain text (the
/// Markdown made readable) and the HTML (Ink, in a small e-mail-safe document).
public enum DigestRendering {
    public static func render(_ content: DigestContent) -> RenderedDigest {
        let text = content.text ?? content.markdown.map(MarkdownPlainText.text) ?? ""
        var html: String?
        if let given = content.html {
            html = given.range(of: "<html", options: .caseInsensitive) == nil ? document(body: given, title: content.subject) : given
        } else if let markdown = content.markdown {
            html = document(body: MarkdownParser().html(from: markdown), title: content.subject)
        }
        return RenderedDigest(
            subject: content.subject, text: text.hasSuffix("\n") ? text : text + "\n", markdown: content.markdown, html: html)
    }

    /// An HTML fragment in a document that mail readers display alike.
    static func document(body: String, title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        </head>
        <body style="font-family: Marianne, Arial, sans-serif; line-height: 1.5; color: #161616; max-width: 42em; margin: 0 auto; padding: 1em;">
        \(body)
        </body>
        </html>

        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Markdown made readable as plain text, for the text part of a digest: headings
/// underlined, emphasis and code marks and backslash escapes removed, links as
/// `text (address)`, list items and paragraphs kept as they are.
public enum MarkdownPlainText {
    public static func text(_ markdown: String) -> String {
        var lines: [String] = []
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("#") {
                let level = trimmed.prefix(while: { $0 == "#" }).count
                let title = inline(String(trimmed.dropFirst(level)).trimmingCharacters(in: .whitespaces))
                if level <= 6, !title.isEmpty {
                    lines.append(title)
                    if level <= 2 {
                        lines.append(String(repeating: level == 1 ? "=" : "-", count: title.count))
                    }
                    continue
                }
            }
            if ["---", "***", "___"].contains(trimmed.trimmingCharacters(in: .whitespaces)) {
                lines.append(String(repeating: "—", count: 20))
                continue
            }
            var prefix = ""
            var rest = Substring(line)
            let indent = rest.prefix(while: { $0 == " " })
            rest = rest.dropFirst(indent.count)
            if rest.hasPrefix("- ") || rest.hasPrefix("* ") || rest.hasPrefix("+ ") {
                prefix = indent + "- "
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("> ") {
                prefix = indent + "  "
                rest = rest.dropFirst(2)
            } else {
                prefix = String(indent)
            }
            lines.append(prefix + inline(String(rest)))
        }
        return lines.joined(separator: "\n")
    }

    /// Inline marks of one line.
    static func inline(_ line: String) -> String {
        var out = ""
        let characters = Array(line)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\\" where index + 1 < characters.count && isEscapable(characters[index + 1]):
                out.append(characters[index + 1])
                index += 2
            case "*", "`":
                index += 1
            case "_" where isBoundary(characters, index):
                index += 1
            case "[":
                // [text](address) → text (address); anything else stays.
                if let close = characters[index...].firstIndex(of: "]"), close + 1 < characters.count,
                    characters[close + 1] == "(", let end = characters[(close + 1)...].firstIndex(of: ")")
                {
                    let label = inline(String(characters[(index + 1)..<close]))
                    let address = String(characters[(close + 2)..<end])
                    out += label == address || address.hasPrefix("mailto:") && label == address.dropFirst(7)
                        ? label : "\(label) (\(address))"
                    index = end + 1
                } else {
                    out.append(character)
                    index += 1
                }
            default:
                out.append(character)
                index += 1
            }
        }
        return out
    }

    private static func isEscapable(_ character: Character) -> Bool {
        "\\`*_{}[]()#+-.!<>|&~".contains(character)
    }

    /// `_` marks emphasis only at a word's edge (`snake_case` keeps its underscore).
    private static func isBoundary(_ characters: [Character], _ index: Int) -> Bool {
        let before = index > 0 ? characters[index - 1] : " "
        let after = index + 1 < characters.count ? characters[index + 1] : " "
        return !(before.isLetter || before.isNumber) || !(after.isLetter || after.isNumber)
    }
}
