import Foundation

/// A fresh directory under the system temp folder, removed when the value is released.
/// Tests put their catalogues and files here so that nothing leaks between tests.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    /// Creates `…/relais-test-<random>/`.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("relais-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `contents` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let target = path(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes raw bytes to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        let target = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Where the project's files are, found from this source file's location.
public enum ProjectFiles {
    /// The package root (the folder holding Package.swift).
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `Examples/mip2020.jsonl`: the 2020 programme transcribed from the press texts.
    public static var sampleJSONLines: String { root.appendingPathComponent("Examples/mip2020.jsonl").path }

    /// `Examples/mip2020.csv`: the same programme as a French spreadsheet CSV.
    public static var sampleCSV: String { root.appendingPathComponent("Examples/mip2020.csv").path }
}
