import RelaisCore

/// JSON text to ``InterchangeValue`` for other targets (the Lua host reads template
/// contexts and digest results with it), through the import's strict parser.
public enum JSONText {
    /// The value of `text`; throws with the byte offset of the first problem.
    public static func parse(_ text: String) throws -> InterchangeValue {
        do {
            return try InterchangeJSONParser.parse(text)
        } catch {
            throw CatalogueError("JSON, byte \(error.offset + 1): \(error.message)")
        }
    }
}
