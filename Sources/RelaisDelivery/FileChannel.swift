import Foundation
import RelaisCore

/// Writes each delivery as a JSON file, `<folder>/<to>/<key>.json`, for other tools and
/// for audits. A file appears whole or not at all: it is written under a temporary name,
/// flushed to disk, then renamed; writing the same delivery again replaces it with the
/// same content.
public struct FileChannel: DeliveryChannel {
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    public func send(_ deliveries: [Delivery]) -> [DeliveryResult] {
        deliveries.map(send)
    }

    /// Writes have no timeout; ten seconds a file covers a slow disk's `fsync`.
    public func longestTime(toSend count: Int) -> TimeInterval {
        Double(count) * 10
    }

    private func send(_ delivery: Delivery) -> DeliveryResult {
        let directory = folder.appendingPathComponent(delivery.request.recipient)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            return .failed("cannot create \(directory.path): \(error.localizedDescription)", retryAfter: nil)
        }
        let target = directory.appendingPathComponent(DeliveryNames.fileName(forKey: delivery.request.key) + ".json")
        do {
            try AtomicFile.write(Self.document(delivery), to: target)
            return .delivered("written \(target.path)")
        } catch let error as AtomicFile.Failure {
            return .failed(error.message, retryAfter: nil)
        } catch {
            return .failed("\(target.path): \(error)", retryAfter: nil)
        }
    }

    /// The delivery as a JSON object with sorted keys (so the same delivery is the same bytes).
    static func document(_ delivery: Delivery) -> Data {
        let request = delivery.request
        var object: [String: Any] = [
            "key": request.key, "origin": request.origin, "channel": request.channel, "to": request.recipient,
            "body": request.body,
            "created_at": EventTime.instant(delivery.createdAt).description,
        ]
        if let subject = request.subject { object["subject"] = subject }
        if let html = request.html { object["html"] = html }
        if let sequence = request.changeSequence { object["change"] = sequence }
        if !request.headers.isEmpty {
            object["headers"] = request.headers.map { [$0.name, $0.value] }
        }
        // Plain JSON types only: serialization cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return data + Data("\n".utf8)
    }
}

/// Writes a file so that readers see the old content or the new, never a part: a temporary
/// file in the same folder, `fsync`, `rename`, then `fsync` of the folder.
enum AtomicFile {
    struct Failure: Error {
        let message: String
    }

    static func write(_ data: Data, to target: URL) throws {
        let folder = target.deletingLastPathComponent().path
        let temporary = folder + "/.\(target.lastPathComponent).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(message: "\(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw Failure(message: "\(target.path): \(failure)")
        }
        guard rename(temporary, target.path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(message: "\(target.path): \(message)")
        }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}
