/// A JSON-shaped value, as readers and the Lua bridge hand records to the core before
/// they become ``Event``s. Keeping it here lets every source share one set of field rules.
public enum InterchangeValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([InterchangeValue])
    case object([String: InterchangeValue])

    /// A short name of the value's type for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
