import Foundation

/// What a run of the `relais` binary produced.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
    /// True when the process ended by a signal (a crash), not by exiting.
    public var wasSignalled: Bool

    public var description: String {
        "status \(status)\(wasSignalled ? " (signal)" : "")\nstdout:\n\(standardOutput)\nstderr:\n\(standardError)"
    }
}

/// Runs the built `relais` executable, as a user would, with a time limit.
public enum RelaisProcess {
    /// The binary: `$RELAIS_BIN`, else `relais` beside the test bundle (SwiftPM puts both
    /// in the same build folder), else `.build/debug/relais`.
    public static var executable: URL {
        if let explicit = ProcessInfo.processInfo.environment["RELAIS_BIN"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            var folder = URL(fileURLWithPath: first).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("relais"))
                folder = folder.deletingLastPathComponent()
            }
        }
        candidates.append(ProjectFiles.root.appendingPathComponent(".build/debug/relais"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? ProjectFiles.root.appendingPathComponent(".build/debug/relais")
    }

    /// A process for `relais arguments…` in `directory`, in the caller's environment less
    /// `RELAIS_CATALOGUE` and `RELAIS_PLUGINS`, plus `environment`.
    private static func prepared(_ arguments: [String], in directory: String?, environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RELAIS_CATALOGUE")
        env.removeValue(forKey: "RELAIS_PLUGINS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return process
    }

    /// Starts `relais arguments…` in `directory` and returns at once, its output discarded:
    /// for a test that kills it, or waits for it while doing something else.
    public static func start(_ arguments: [String], in directory: String? = nil) throws -> Process {
        let process = prepared(arguments, in: directory, environment: [:])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `relais arguments…` in `directory`, feeding `input` on standard input, and
    /// kills it after `timeout` seconds. Standard output is a pipe, so `relais` behaves as
    /// it does in scripts (JSON Lines, no progress bar).
    public static func run(
        _ arguments: [String], in directory: String? = nil, input: String? = nil,
        environment: [String: String] = [:], timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        let process = prepared(arguments, in: directory, environment: environment)
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        // Drain both pipes while the process runs, so a large output cannot block it.
        let outData = DataCollector()
        let errData = DataCollector()
        let group = DispatchGroup()
        for (pipe, collector) in [(outPipe, outData), (errPipe, errData)] {
            group.enter()
            DispatchQueue.global().async {
                collector.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in children of the test process
            process.waitUntilExit()
            throw ProcessTimeout(arguments: arguments, seconds: timeout)
        }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outData.data, as: UTF8.self),
            standardError: String(decoding: errData.data, as: UTF8.self),
            wasSignalled: process.terminationReason == .uncaughtSignal)
    }
}

/// The process did not finish in time and was killed.
public struct ProcessTimeout: Error, CustomStringConvertible {
    public var arguments: [String]
    public var seconds: TimeInterval
    public var description: String { "relais \(arguments.joined(separator: " ")) did not finish in \(seconds) s" }
}

private final class DataCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    func set(_ data: Data) {
        lock.lock()
        stored = data
        lock.unlock()
    }
    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
