import Foundation

/// A question saved under a name (`:save NAME` in the REPL), with `$1`-style parameters
/// filled in when it is run (`:run NAME bretagne`, `relais query --saved NAME bretagne`).
public struct SavedQuery: Hashable, Sendable {
    /// Letters, digits, `-` and `_`.
    public var name: String
    /// The question as typed: `webinaires region:$1 semaine prochaine`.
    public var text: String
    public var savedAt: Date

    public init(name: String, text: String, savedAt: Date) {
        self.name = name
        self.text = text
        self.savedAt = savedAt
    }

    /// Whether `name` can name a saved query.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F
            }
    }

    /// How many parameters the text uses: the highest `$N`.
    public var parameterCount: Int {
        var highest = 0
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "$" {
                var digits = ""
                var next = index + 1
                while next < scalars.count, let value = scalars[next].properties.numericType, value == .decimal {
                    digits.unicodeScalars.append(scalars[next])
                    next += 1
                }
                if let number = Int(digits) { highest = max(highest, number) }
                index = next
            } else {
                index += 1
            }
        }
        return highest
    }

    /// The text with `$1`, `$2`, … replaced by `arguments`; throws when one is missing.
    public func filled(with arguments: [String]) throws -> String {
        let needed = parameterCount
        guard arguments.count >= needed else {
            throw CatalogueError(
                "saved query '\(name)' needs \(needed) parameter\(needed == 1 ? " ($1)" : "s ($1…$\(needed))"), got \(arguments.count)")
        }
        var text = self.text
        // Highest first, so $1 does not eat the start of $10.
        for number in stride(from: needed, through: 1, by: -1) {
            var value = arguments[number - 1]
            // A value with spaces stays one word of the question.
            if value.contains(" ") && !value.hasPrefix("\"") { value = "\"" + value + "\"" }
            text = text.replacingOccurrences(of: "$\(number)", with: value)
        }
        return text
    }
}

/// Where saved queries live: the catalogue itself, so every user of the file shares them.
public protocol SavedQueryStore: AnyObject {
    /// Every saved query, by name.
    func savedQueries() throws -> [SavedQuery]
    /// The saved query `name`, or nil.
    func savedQuery(named name: String) throws -> SavedQuery?
    /// Saves `query`, replacing one of the same name.
    func save(_ query: SavedQuery) throws
    /// Deletes `name`; false when there was none.
    @discardableResult
    func deleteSavedQuery(named name: String) throws -> Bool
}
