import Testing

@Test func scriptingPlaceholder() { #expect(Bool(true)) }
