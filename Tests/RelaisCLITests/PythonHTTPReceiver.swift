import Foundation
import RelaisTesting

/// A webhook receiver on 127.0.0.1 for the end-to-end tests: a small Python server (a
/// separate process, as a real receiver would be) that saves every POST as
/// `request-N.json` ({path, headers, body}) and answers 200.
final class PythonHTTPReceiver {
    let process = Process()
    let port: Int
    let folder: String

    struct DidNotStart: Error {}

    init(in directory: TemporaryDirectory) throws {
        folder = directory.path("received")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let portFile = directory.path("receiver.port")
        let script = try directory.write(
            "receiver.py",
            """
            import http.server, itertools, json, os, sys, threading
            folder, counter, lock = sys.argv[1], itertools.count(1), threading.Lock()
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    with lock:
                        path = os.path.join(folder, "request-%06d.json" % next(counter))
                    record = {"path": self.path, "headers": dict(self.headers.items()), "body": body.decode("utf-8")}
                    with open(path + ".tmp", "w") as file:
                        json.dump(record, file)
                    os.rename(path + ".tmp", path)
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                def log_message(self, *args):
                    pass
            class Server(http.server.ThreadingHTTPServer):
                request_queue_size = 256  # several workers' connections at once
            server = Server(("127.0.0.1", 0), Handler)
            open(sys.argv[2], "w").write(str(server.server_address[1]))
            server.serve_forever()
            """)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, folder, portFile]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var found: Int?
        while found == nil && Date() < deadline {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if found == nil { usleep(20_000) }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw DidNotStart()
        }
        port = found
    }

    /// SIGKILL: the test process may block SIGTERM in the children it starts.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// Every request received, in order.
    func requests() throws -> [[String: Any]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }
    }

    /// The `Idempotency-Key` of every request received, in order.
    func keys() throws -> [String] {
        try requests().map { (($0["headers"] as? [String: String])?["Idempotency-Key"]) ?? "?" }
    }
}
