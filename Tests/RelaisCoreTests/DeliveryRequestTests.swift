import Foundation
import RelaisCore
import Testing

@Suite("Delivery requests")
struct DeliveryRequestTests {
    private func request(_ channel: String, _ recipient: String) -> DeliveryRequest {
        DeliveryRequest(channel: channel, recipient: recipient, body: "{}", key: "k", origin: "la-base")
    }

    @Test func aWebhookURLIsShownWithoutItsTokens() {
        #expect(request("webhook", "https://example.org/hooks/relais?token=abc").displayedRecipient == "https://example.org/hooks/relais?…")
        #expect(request("webhook", "https://user:pass@example.org/h").displayedRecipient == "https://example.org/h?…")
        #expect(request("webhook", "https://example.org/h").displayedRecipient == "https://example.org/h")
    }

    @Test func otherRecipientsAreShownAsTheyAre() {
        #expect(request("sendmail", "a@example.org, b@example.org").displayedRecipient == "a@example.org, b@example.org")
        #expect(request("file", "siilab-changements").displayedRecipient == "siilab-changements")
    }

    // MARK: - References to secrets

    private let secrets: [(name: String, value: String)] = [("short", "abc"), ("long", "abcdef"), ("odd", "secret")]

    @Test func concealingThenResolvingGivesBackTheText() throws {
        let texts = ["", "nothing here", "abc", "xabcdefx abc ab secret:short", "é abcdef ü secret", "abcabc"]
        for text in texts {
            let concealed = SecretReference.conceal(text, secrets: secrets)
            let withoutReferences = try SecretReference.resolve(concealed) { _ in "" }
            for (_, value) in secrets { #expect(!withoutReferences.contains(value), "\(text) → \(concealed)") }
            let resolved = try SecretReference.resolve(concealed) { name in secrets.first { $0.name == name }?.value }
            #expect(resolved == text)
        }
    }

    @Test func theLongestValueWinsAndReferencesAreNotSearchedAgain() {
        let concealed = SecretReference.conceal("abcdef abc", secrets: secrets)
        #expect(concealed == SecretReference.reference(to: "long") + " " + SecretReference.reference(to: "short"))
        // "secret" is the value of a secret and also the word inside every reference.
        #expect(SecretReference.names(in: concealed) == ["long", "short"])
        #expect(SecretReference.shown(concealed) == "‹secret:long› ‹secret:short›")
    }

    @Test func resolvingNamesTheMissingSecret() {
        let concealed = SecretReference.conceal("token=abc", secrets: secrets)
        #expect(throws: SecretReference.MissingSecret(name: "short")) {
            _ = try SecretReference.resolve(concealed) { _ in nil }
        }
        #expect(SecretReference.MissingSecret(name: "short").description == "secret 'short' is not configured")
    }

    @Test func textWithoutReferencesIsLeftAlone() throws {
        let stray = "a \u{E000} b \u{E001} \u{E000}notsecret\u{E001}"
        #expect(SecretReference.containsReservedCharacters(stray))
        #expect(!SecretReference.containsReservedCharacters("https://example.org/h"))
        #expect(try SecretReference.resolve(stray) { _ in "x" } == stray)
        #expect(SecretReference.shown(stray) == stray)
        #expect(SecretReference.conceal("no secrets", secrets: []) == "no secrets")
    }

    @Test func aRequestKeepsItsKeyAndOriginAndConcealsTheRest() throws {
        let request = DeliveryRequest(
            channel: "webhook", recipient: "https://example.org/hooks/abcdef", subject: "abc", body: "{\"t\":\"abc\"}",
            html: "<b>abc</b>", headers: [.init(name: "Authorization", value: "Bearer abcdef")], key: "key-abc",
            origin: "la-base")
        let concealed = request.concealing(secrets)
        #expect(concealed.key == "key-abc" && concealed.origin == "la-base" && concealed.channel == "webhook")
        #expect(concealed.displayedRecipient == "https://example.org/hooks/‹secret:long›")
        #expect(![concealed.recipient, concealed.subject, concealed.body, concealed.html, concealed.headers[0].value]
            .contains { $0?.contains("abc") ?? false })
        final class Source: SecretSource, @unchecked Sendable {
            var owners: [String] = []
            func secret(owner: String, name: String) -> String? {
                owners.append(owner)
                return [("short", "abc"), ("long", "abcdef")].first { $0.0 == name }?.1
            }
        }
        let source = Source()
        let (resolved, used) = try concealed.resolvingSecrets(from: source)
        #expect(resolved == request)
        #expect(Set(used.map(\.name)) == ["short", "long"])
        #expect(Set(source.owners) == ["la-base"], "a delivery resolves only its own plugin's secrets")
    }
}
