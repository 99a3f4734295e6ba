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
}
