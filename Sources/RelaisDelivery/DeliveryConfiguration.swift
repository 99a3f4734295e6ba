import Foundation
import RelaisCore

/// How deliveries are sent, and the plugins' secrets: `relais.conf`, an INI-style file
/// kept out of plugin code.
///
/// ```ini
/// # relais.conf (chmod 600 when it holds secrets)
/// [sendmail]
/// command = /usr/sbin/sendmail -t -oi
/// from = Relais <relais@example.org>
///
/// [file]
/// folder = /var/spool/relais
///
/// [webhook]
/// timeout = 10
///
/// [secrets.la-base]
/// webhook = a long random string
/// ```
///
/// Secrets also come from the environment, which wins over the file:
/// `RELAIS_SECRET_<PLUGIN>_<NAME>`, upper case, `-` written `_`
/// (`RELAIS_SECRET_LA_BASE_WEBHOOK`). A file that holds secrets is refused when other
/// users could read it.
// Sendable: every property is set while the file is read, in `init`, and never after.
public final class DeliveryConfiguration: SecretSource, @unchecked Sendable {
    /// The command a `sendmail` delivery is piped to, as words (no shell).
    public private(set) var sendmailCommand = ["/usr/sbin/sendmail", "-t", "-oi"]
    /// The `From:` of e-mails.
    public private(set) var mailFrom = "Relais <relais@localhost>"
    /// Where the `file` channel writes; relative paths are relative to the catalogue's folder.
    public private(set) var fileFolder: URL
    /// How long a webhook may take, in seconds.
    public private(set) var webhookTimeout: TimeInterval = 10
    /// Where this configuration was read from, if a file.
    public private(set) var source: URL?

    private var fileSecrets: [String: [String: String]] = [:]
    private let environment: [String: String]

    /// The defaults, with the `file` channel writing to `outbox/` beside the catalogue.
    public init(catalogueFolder: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        fileFolder = catalogueFolder.appendingPathComponent("outbox")
        self.environment = environment
    }

    /// Reads `url` on top of the defaults. Throws a ``ConfigurationError`` naming the file
    /// and line for anything it does not understand.
    public convenience init(
        contentsOf url: URL, catalogueFolder: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.init(catalogueFolder: catalogueFolder, environment: environment)
        source = url
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError("\(url.path): cannot be read as UTF-8 text")
        }
        try parse(text, path: url.path, catalogueFolder: catalogueFolder)
        if !fileSecrets.isEmpty { try Self.checkPrivate(url) }
    }

    /// The secret `name` of `owner`: from the environment, else from the file.
    ///
    /// `-` and `_` both become `_` in variable names, so `RELAIS_SECRET_LA_BASE_WEBHOOK`
    /// could be plugin `la-base`'s `webhook` or plugin `la`'s `base-webhook`. A variable
    /// belongs to the longest known owner whose name it starts with: give the plugin ids in
    /// ``knownOwners`` and `la` cannot read `la-base`'s secrets.
    public func secret(owner: String, name: String) -> String? {
        let prefix = "RELAIS_SECRET_" + Self.environmentName(owner) + "_"
        let variable = prefix + Self.environmentName(name)
        if let value = environment[variable], !value.isEmpty, !belongsToLongerOwner(variable, than: owner) {
            return value
        }
        return fileSecrets[owner]?[name]
    }

    /// Every plugin id (and `script`) that may own secrets.
    public private(set) var knownOwners: [String] = []

    /// This configuration, with the owners whose environment secrets must be kept apart.
    public func knowing(owners: [String]) -> DeliveryConfiguration {
        let copy = DeliveryConfiguration(copying: self)
        copy.knownOwners = owners
        return copy
    }

    private init(copying other: DeliveryConfiguration) {
        sendmailCommand = other.sendmailCommand
        mailFrom = other.mailFrom
        fileFolder = other.fileFolder
        webhookTimeout = other.webhookTimeout
        source = other.source
        fileSecrets = other.fileSecrets
        environment = other.environment
        knownOwners = other.knownOwners
    }

    private func belongsToLongerOwner(_ variable: String, than owner: String) -> Bool {
        knownOwners.contains { other in
            other.count > owner.count && variable.hasPrefix("RELAIS_SECRET_" + Self.environmentName(other) + "_")
        }
    }

    static func environmentName(_ text: String) -> String {
        String(text.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    private func parse(_ text: String, path: String, catalogueFolder: URL) throws {
        var section = ""
        // By scalars: "\r\n" is a single Character, which a split on "\n" would never find.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0))
        }
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            let place = "\(path):\(index + 1)"
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw ConfigurationError("\(place): a section is written [name]") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard ["sendmail", "file", "webhook"].contains(section) || section.hasPrefix("secrets.") else {
                    throw ConfigurationError(
                        "\(place): unknown section [\(section)] (expected [sendmail], [file], [webhook] or [secrets.PLUGIN])")
                }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(place): expected 'name = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw ConfigurationError("\(place): expected 'name = value'") }
            switch (section, key) {
            case ("sendmail", "command"):
                let words = value.split(separator: " ").map(String.init)
                guard !words.isEmpty else { throw ConfigurationError("\(place): the sendmail command is empty") }
                sendmailCommand = words
            case ("sendmail", "from"):
                guard !value.isEmpty else { throw ConfigurationError("\(place): 'from' is empty") }
                mailFrom = value
            case ("file", "folder"):
                guard !value.isEmpty else { throw ConfigurationError("\(place): the folder is empty") }
                fileFolder =
                    value.hasPrefix("/")
                    ? URL(fileURLWithPath: value) : catalogueFolder.appendingPathComponent(value)
            case ("webhook", "timeout"):
                guard let seconds = TimeInterval(value), seconds >= 1, seconds <= 300 else {
                    throw ConfigurationError("\(place): the webhook timeout is a number of seconds from 1 to 300")
                }
                webhookTimeout = seconds
            case (let name, _) where name.hasPrefix("secrets."):
                let owner = String(name.dropFirst("secrets.".count))
                guard !owner.isEmpty else { throw ConfigurationError("\(place): [secrets.PLUGIN] needs a plugin id") }
                fileSecrets[owner, default: [:]][key] = value
            case ("", _):
                throw ConfigurationError("\(place): '\(key)' is outside any section")
            default:
                throw ConfigurationError("\(place): unknown setting '\(key)' in [\(section)]")
            }
        }
    }

    /// Refuses a file with secrets that other users can read (or write).
    private static func checkPrivate(_ url: URL) throws {
        var status = stat()
        guard stat(url.path, &status) == 0 else { throw ConfigurationError("\(url.path): cannot be read") }
        if status.st_mode & 0o077 != 0 {
            throw ConfigurationError(
                "\(url.path) holds secrets and other users can read it: run chmod 600 \(url.path)")
        }
    }
}

/// A configuration file Relais cannot use; the message names the file and line.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
