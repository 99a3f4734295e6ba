// `relais.conf`: the defaults, a full file, secrets from the file and the environment
// (each plugin its own), the permission check on files holding secrets, and error
// messages that name the file and line but never repeat a secret.

import Foundation
import RelaisCore
import RelaisDelivery
import RelaisTesting
import Testing

@Suite("Delivery configuration")
struct DeliveryConfigurationTests {
    // MARK: - Defaults and a full file

    @Test func withoutAFileTheDefaultsApply() throws {
        let directory = try TemporaryDirectory()
        let configuration = DeliveryConfiguration(catalogueFolder: directory.url, environment: [:])
        #expect(configuration.sendmailCommand == ["/usr/sbin/sendmail", "-t", "-oi"])
        #expect(configuration.fileFolder.standardizedFileURL == directory.url.appendingPathComponent("outbox").standardizedFileURL)
        #expect(configuration.webhookTimeout == 10)
        #expect(configuration.source == nil)
        #expect(configuration.secret(owner: "la-base", name: "webhook") == nil)
    }

    @Test func aFullFileIsRead() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(
            in: directory,
            """
            # relais.conf
            ; another comment

            [sendmail]
            command = /usr/local/bin/msmtp -t --read-envelope-from
            from = La Base <labase@example.org>

            [file]
            folder = spool/relais

            [webhook]
            timeout = 15

            [secrets.la-base]
            webhook = un secret long = avec des signes égal
            jeton=collé
            """, mode: 0o600)
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.sendmailCommand == ["/usr/local/bin/msmtp", "-t", "--read-envelope-from"])
        #expect(configuration.mailFrom == "La Base <labase@example.org>")
        #expect(
            configuration.fileFolder.standardizedFileURL.path
                == directory.url.appendingPathComponent("spool/relais").standardizedFileURL.path)
        #expect(configuration.webhookTimeout == 15)
        #expect(configuration.source == url)
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "un secret long = avec des signes égal")
        #expect(configuration.secret(owner: "la-base", name: "jeton") == "collé")
    }

    @Test func anAbsoluteFolderIsKeptAsIs() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[file]\nfolder = /var/spool/relais\n")
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.fileFolder.path == "/var/spool/relais")
    }

    @Test func spacesAroundSectionNamesAndSettingsAreAccepted() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[ webhook ]\n  timeout = 20  \n")
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.webhookTimeout == 20)
    }

    @Test func aFileWithWindowsLineEndsIsReadLineByLine() throws {
        // In Swift, "\r\n" is one Character, so splitting the text on "\n" does not split it.
        let directory = try TemporaryDirectory()
        let url = try configurationFile(
            in: directory, "# relais.conf\r\n[webhook]\r\ntimeout = 20\r\n[sendmail]\r\nfrom = La Base <labase@example.org>\r\n")
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.webhookTimeout == 20)
        #expect(configuration.mailFrom == "La Base <labase@example.org>")
    }

    @Test func aWindowsLineEndErrorNamesTheRightLine() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[webhook]\r\ntimeout = 5\r\nport = 80\r\n")
        let error = try #require(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
        #expect(error.message.contains("\(url.path):3:"), "\(error.message)")
    }

    // MARK: - Secrets

    @Test func theEnvironmentWinsOverTheFile() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(
            in: directory, "[secrets.la-base]\nwebhook = from-the-file\njeton = jeton-du-fichier\n", mode: 0o600)
        let configuration = try DeliveryConfiguration(
            contentsOf: url, catalogueFolder: directory.url,
            environment: ["RELAIS_SECRET_LA_BASE_WEBHOOK": "from-the-environment"])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "from-the-environment")
        #expect(configuration.secret(owner: "la-base", name: "jeton") == "jeton-du-fichier")
    }

    @Test func anEmptyEnvironmentVariableDoesNotHideTheFile() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[secrets.la-base]\nwebhook = from-the-file\n", mode: 0o600)
        let configuration = try DeliveryConfiguration(
            contentsOf: url, catalogueFolder: directory.url, environment: ["RELAIS_SECRET_LA_BASE_WEBHOOK": ""])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "from-the-file")
    }

    @Test func namesWithDashesMapToUnderscoresInTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        let configuration = DeliveryConfiguration(
            catalogueFolder: directory.url,
            environment: [
                "RELAIS_SECRET_LA_BASE_WEBHOOK": "env-webhook", "RELAIS_SECRET_TI_LAB_API_TOKEN": "env-token",
            ])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "env-webhook")
        #expect(configuration.secret(owner: "ti-lab", name: "api-token") == "env-token")
        #expect(configuration.secret(owner: "ti-lab", name: "api_token") == "env-token")
    }

    @Test func aPluginGetsOnlyItsOwnSecrets() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[secrets.la-base]\nwebhook = secret-de-la-base\n", mode: 0o600)
        let configuration = try DeliveryConfiguration(
            contentsOf: url, catalogueFolder: directory.url,
            environment: ["RELAIS_SECRET_LA_BASE_JETON": "jeton-de-la-base"])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "secret-de-la-base")
        #expect(configuration.secret(owner: "ti-lab", name: "webhook") == nil)
        #expect(configuration.secret(owner: "ti-lab", name: "jeton") == nil)
        #expect(configuration.secret(owner: "script", name: "webhook") == nil)
    }

    @Test func aPluginWhoseIdPrefixesAnotherCannotReadItsEnvironmentSecrets() throws {
        // Plugin `la` asking for its secret `base-webhook` and plugin `la-base` asking for
        // `webhook` both name RELAIS_SECRET_LA_BASE_WEBHOOK.
        let directory = try TemporaryDirectory()
        let configuration = DeliveryConfiguration(
            catalogueFolder: directory.url, environment: ["RELAIS_SECRET_LA_BASE_WEBHOOK": "secret-de-la-base"])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "secret-de-la-base")
        // The variable belongs to the longest known owner it names: plugin `la` cannot
        // read it. (`la_base` is not a plugin id: ids are lower-case letters, digits and `-`.)
        let knowing = configuration.knowing(owners: ["la", "la-base", "script"])
        #expect(knowing.secret(owner: "la", name: "base-webhook") == nil)
        #expect(knowing.secret(owner: "la-base", name: "webhook") == "secret-de-la-base")
    }

    // MARK: - Permissions

    @Test func aFileWithSecretsReadableByOthersIsRefused() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[secrets.la-base]\nwebhook = tres-secret-0644\n", mode: 0o644)
        let error = try #require(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
        #expect(error.message.contains("chmod 600"))
        #expect(error.message.contains(url.path))
        #expect(!error.message.contains("tres-secret-0644"))
    }

    @Test func aFileWithSecretsWritableByTheGroupIsRefused() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[secrets.la-base]\nwebhook = s\n", mode: 0o620)
        #expect(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
    }

    @Test func aPrivateFileWithSecretsIsAccepted() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[secrets.la-base]\nwebhook = s\n", mode: 0o600)
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.secret(owner: "la-base", name: "webhook") == "s")
    }

    @Test func aFileWithoutSecretsMayBeReadableByOthers() throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, "[webhook]\ntimeout = 5\n", mode: 0o644)
        let configuration = try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        #expect(configuration.webhookTimeout == 5)
    }

    // MARK: - Errors

    /// A file Relais must refuse, the line at fault and words its message must hold.
    struct BadFile: Sendable, CustomTestStringConvertible {
        var label: String
        var text: String
        var line: Int
        var mentions: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        BadFile(label: "unknown section", text: "[webhook]\ntimeout = 5\n[smtp]\nhost = x\n", line: 3, mentions: "unknown section [smtp]"),
        BadFile(label: "unknown setting", text: "[sendmail]\n\nport = 25\n", line: 3, mentions: "unknown setting 'port'"),
        BadFile(label: "missing =", text: "[sendmail]\ncommand /usr/sbin/sendmail\n", line: 2, mentions: "name = value"),
        BadFile(label: "empty name", text: "[webhook]\n= 5\n", line: 2, mentions: "name = value"),
        BadFile(label: "outside any section", text: "# comment\ntimeout = 5\n", line: 2, mentions: "outside any section"),
        BadFile(label: "timeout 0", text: "[webhook]\ntimeout = 0\n", line: 2, mentions: "timeout"),
        BadFile(label: "timeout 1000", text: "[webhook]\ntimeout = 1000\n", line: 2, mentions: "timeout"),
        BadFile(label: "timeout abc", text: "[webhook]\ntimeout = abc\n", line: 2, mentions: "timeout"),
        BadFile(label: "timeout negative", text: "[webhook]\ntimeout = -3\n", line: 2, mentions: "timeout"),
        BadFile(label: "timeout nan", text: "[webhook]\ntimeout = nan\n", line: 2, mentions: "timeout"),
        BadFile(label: "empty sendmail command", text: "[sendmail]\ncommand =   \n", line: 2, mentions: "command is empty"),
        BadFile(label: "empty from", text: "[sendmail]\nfrom =\n", line: 2, mentions: "'from'"),
        BadFile(label: "empty folder", text: "[file]\nfolder =\n", line: 2, mentions: "folder"),
        BadFile(label: "unclosed section", text: "\n[sendmail\n", line: 2, mentions: "[name]"),
        BadFile(label: "secrets without plugin", text: "[secrets.]\nwebhook = x\n", line: 2, mentions: "plugin"),
    ])
    func errorsNameTheFileAndLine(_ bad: BadFile) throws {
        let directory = try TemporaryDirectory()
        let url = try configurationFile(in: directory, bad.text, mode: 0o600)
        let error = try #require(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
        #expect(error.message.contains("\(url.path):\(bad.line):"), "\(error.message)")
        #expect(error.message.contains(bad.mentions), "\(error.message)")
        #expect(error.description == error.message)
    }

    @Test func aMissingFileIsAnErrorNamingIt() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("absent.conf")
        let error = try #require(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
        #expect(error.message.contains(url.path))
    }

    @Test(arguments: [
        "jeton sans égal",
        "[inconnue]",
        "[webhook]\ntimeout = jamais",
        "[sendmail]\nport = 25",
        "[sendmail]\ncommand =",
    ])
    func aSecretNeverAppearsInAnErrorMessage(malformedTail: String) throws {
        let directory = try TemporaryDirectory()
        let secret = "sk_live_9f8e7d6c5b4a"
        let url = try configurationFile(
            in: directory, "[secrets.la-base]\nwebhook = \(secret)\n\(malformedTail)\n", mode: 0o600)
        let error = try #require(throws: ConfigurationError.self) {
            try DeliveryConfiguration(contentsOf: url, catalogueFolder: directory.url, environment: [:])
        }
        #expect(!error.message.contains(secret), "\(error.message)")
        #expect(!String(describing: error).contains(secret))
        #expect(error.message.contains(url.path))
    }
}

// MARK: - Helpers

/// Writes `relais.conf` in `directory` with the given permissions.
private func configurationFile(in directory: TemporaryDirectory, _ text: String, mode: Int = 0o644) throws -> URL {
    let path = try directory.write("relais.conf", text)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return URL(fileURLWithPath: path)
}
