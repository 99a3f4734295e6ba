extension Array where Element == UInt8 {
    /// Appends the UTF-8 of `text`, copied from the string's own storage when it has one
    /// (the writers that build their output as bytes append a dozen strings per event).
    mutating func appendUTF8(of text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: text.utf8) }
    }
}
