import Foundation
import RelaisTesting
import Testing

// Notifications survive SIGKILL: `relais import` (with change handlers) and `relais outbox
// deliver` are killed at random moments, many times, then allowed to finish. Every expected
// delivery must then have arrived at least once, and any duplicate must carry the same key.
// Bounded: a fixed number of rounds, each process killed within half a second.

@Suite("Crash safety of notifications", .serialized)
struct CrashSafetyTests {
    /// Starts `relais arguments…` and kills it with SIGKILL after `delay` seconds (or lets it
    /// end if it ends first). Returns whether it was killed.
    @discardableResult
    private func runAndKill(_ arguments: [String], after delay: TimeInterval, in folder: String) throws -> Bool {
        let process = try RelaisProcess.start(arguments, in: folder)
        let deadline = Date().addingTimeInterval(delay)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        var killed = false
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            killed = true
        }
        process.waitUntilExit()
        return killed
    }

    /// A plugin whose handler sends one webhook per added event, keyed by the event id.
    private func writePlugin(in folder: TemporaryDirectory, port: Int, withDefaultKeys: Bool = false) throws -> String {
        try FileManager.default.createDirectory(
            atPath: folder.path("plugins/crash"), withIntermediateDirectories: true)
        _ = try folder.write("plugins/crash/manifest.lua", "return { name = \"crash\", version = \"1.0.0\" }\n")
        _ = try folder.write(
            "plugins/crash/init.lua",
            """
            relais.on("event.added", function(change)
              relais.notify{ channel = "webhook", to = "http://127.0.0.1:\(port)/hook",
                body = { id = change.after.id }, key = "added/" .. change.after.id }
            end)
            """)
        // The same with the default key (plugin/change/channel/n): handlers run again after
        // a crash must ask for the same keys.
        guard withDefaultKeys else { return folder.path("plugins") }
        try FileManager.default.createDirectory(
            atPath: folder.path("plugins/crash-default-keys"), withIntermediateDirectories: true)
        _ = try folder.write(
            "plugins/crash-default-keys/manifest.lua", "return { name = \"crash-default-keys\", version = \"1.0.0\" }\n")
        _ = try folder.write(
            "plugins/crash-default-keys/init.lua",
            """
            relais.on("event.added", function(change)
              relais.notify{ channel = "webhook", to = "http://127.0.0.1:\(port)/default", body = { id = change.after.id } }
            end)
            """)
        return folder.path("plugins")
    }

    /// `count` events in JSON Lines, ids `prefix-0001`….
    private func writeEvents(_ folder: TemporaryDirectory, _ name: String, prefix: String, count: Int) throws -> String {
        var lines = ""
        for index in 1...count {
            let id = prefix + "-" + String(format: "%04d", index)
            lines += """
                {"id":"\(id)","title":"Atelier \(index)","kind":"workshop","slots":[{"start":"2020-11-\(String(format: "%02d", 1 + index % 28))T09:30:00+01:00"}]}

                """
        }
        return try folder.write(name, lines)
    }

    @Test func killingImportsAndDeliveriesLosesNoNotification() throws {
        let folder = try TemporaryDirectory()
        let receiver = try PythonHTTPReceiver(in: folder)
        defer { receiver.stop() }
        let plugins = try writePlugin(in: folder, port: receiver.port, withDefaultKeys: true)
        let catalogue = folder.path("c.sqlite")
        _ = try folder.write("relais.conf", "[webhook]\ntimeout = 2\n")
        let base = ["--catalogue", catalogue, "--plugins", plugins, "--config", folder.path("relais.conf")]
        // Create the catalogue and the plugin's cursor before the first killed import.
        let first = try RelaisProcess.run(base + ["outbox", "deliver"])
        #expect(first.status == 0, "\(first)")

        var expected: Set<String> = []
        var killedImports = 0
        for round in 1...6 {
            let file = try writeEvents(folder, "round\(round).jsonl", prefix: "r\(round)", count: 300)
            for index in 1...300 { expected.insert(String(format: "added/r%d-%04d", round, index)) }
            if try runAndKill(base + ["import", file], after: Double.random(in: 0.05...0.5), in: folder.path) {
                killedImports += 1
            }
            // Imports are all-or-nothing: importing again adds what a killed import lost.
            if round % 2 == 0 {
                try runAndKill(base + ["outbox", "deliver", "--lease", "1", "--batch", "8"], after: Double.random(in: 0.05...0.5), in: folder.path)
            }
        }
        // Finish: every file imported whole, then deliveries killed a few more times.
        for round in 1...6 {
            let result = try RelaisProcess.run(base + ["import", folder.path("round\(round).jsonl")], timeout: 120)
            #expect(result.status == 0, "\(result)")
        }
        var killedDeliveries = 0
        for _ in 1...8 {
            if try runAndKill(base + ["outbox", "deliver", "--lease", "1", "--batch", "8"], after: Double.random(in: 0.05...0.4), in: folder.path) {
                killedDeliveries += 1
            }
        }
        // A killed worker's leases last as long as the part it was sending could (the
        // webhook timeout, 2 s here, and a margin); runs after they end send the rest.
        var pending = ""
        for _ in 1...30 {
            let final = try RelaisProcess.run(base + ["outbox", "deliver", "--lease", "1"], timeout: 120)
            #expect(final.status == 0, "\(final)")
            pending = try RelaisProcess.run(["--catalogue", catalogue, "outbox", "list", "--status", "pending"])
                .standardOutput
            if pending.contains("No pending deliveries") { break }
            usleep(1_000_000)
        }
        #expect(pending.contains("No pending deliveries"), "\(pending)")

        let requests = try receiver.requests()
        let received = requests.filter { $0["path"] as? String == "/hook" }
            .compactMap { ($0["headers"] as? [String: String])?["Idempotency-Key"] }
        let distinct = Set(received)
        #expect(distinct == expected, "missing: \(expected.subtracting(distinct).sorted().prefix(5)), unexpected: \(distinct.subtracting(expected).sorted().prefix(5))")
        #expect(received.count >= expected.count)

        // Default keys: one key per event, the same whenever the delivery was sent again.
        var bodyByKey: [String: Set<String>] = [:]
        for request in requests where request["path"] as? String == "/default" {
            let key = (request["headers"] as? [String: String])?["Idempotency-Key"] ?? ""
            bodyByKey[key, default: []].insert(request["body"] as? String ?? "")
        }
        #expect(bodyByKey.values.allSatisfy { $0.count == 1 }, "a key always carries the same delivery")
        #expect(bodyByKey.keys.allSatisfy { $0.hasPrefix("crash-default-keys/") })
        let defaultIDs = bodyByKey.values.compactMap(\.first).map { body in
            "added/" + body.replacingOccurrences(of: #"{"id":""#, with: "").replacingOccurrences(of: #""}"#, with: "")
        }
        #expect(bodyByKey.count == expected.count, "one key per event, none queued twice under another key")
        #expect(Set(defaultIDs) == expected)
        // The rounds above must really have killed processes, or this test proves little.
        #expect(killedImports + killedDeliveries > 0)
    }

    @Test func twoDeliverProcessesAtOnceSendEachDeliveryOnce() throws {
        let folder = try TemporaryDirectory()
        let receiver = try PythonHTTPReceiver(in: folder)
        defer { receiver.stop() }
        let plugins = try writePlugin(in: folder, port: receiver.port)
        let catalogue = folder.path("c.sqlite")
        let base = ["--catalogue", catalogue, "--plugins", plugins]
        #expect(try RelaisProcess.run(base + ["outbox", "deliver"]).status == 0)
        let file = try writeEvents(folder, "events.jsonl", prefix: "two", count: 400)
        let imported = try RelaisProcess.run(base + ["import", file], timeout: 120)
        #expect(imported.status == 0, "\(imported)")

        // Two workers started together share the work through their leases.
        let outcomes = Outcomes()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                outcomes.add(Result { try RelaisProcess.run(base + ["outbox", "deliver", "--batch", "8"], timeout: 120) })
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 180) == .success)
        var deliveredByWorkers: [Int] = []
        for outcome in outcomes.all {
            let result = try outcome.get()
            #expect(result.status == 0, "\(result)")
            let count = result.standardOutput.split(separator: ",").first?.split(separator: " ").last.flatMap { Int($0) }
            deliveredByWorkers.append(count ?? -1)
        }
        // Never the same delivery twice, and the workers' reports agree with the receiver.
        // (A connection the receiver refused leaves a delivery waiting for its retry: it is
        // then pending, not lost.)
        let received = try receiver.keys()
        #expect(Set(received).count == received.count, "a delivery was sent twice")
        #expect(deliveredByWorkers.reduce(0, +) == received.count, "delivered by each worker: \(deliveredByWorkers)")
        let pending = try RelaisProcess.run(["--catalogue", catalogue, "outbox", "list", "--status", "pending", "--limit", "1000"])
        let waiting = pending.standardOutput.split(separator: "\n").filter { $0.contains("  pending  ") }.count
        #expect(received.count + waiting == 400, "received \(received.count), waiting for a retry \(waiting)")
        #expect(received.count >= 390, "received \(received.count)")
    }
}

/// Results gathered from several threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<ProcessResult, any Error>] = []
    func add(_ result: Result<ProcessResult, any Error>) {
        lock.lock()
        results.append(result)
        lock.unlock()
    }
    var all: [Result<ProcessResult, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}
