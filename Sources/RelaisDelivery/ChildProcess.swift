import Foundation

/// Runs a command with `posix_spawn`, feeds it its standard input, keeps the start of its
/// error output, and waits for it with `waitpid` and a deadline.
///
/// Not Foundation's `Process`: on Linux it decides that a command has ended only when every
/// descendant has closed a socket they all inherit, so a sendmail that leaves a delivery
/// process running in the background (as MTAs do) looks as if it never finished, and the
/// message would be sent again. The child also starts with no blocked signals and default
/// handlers, whatever the parent had.
enum ChildProcess {
    struct Outcome {
        /// The exit status, or nil when a signal ended it.
        var exitStatus: Int32?
        var signal: Int32?
        var timedOut: Bool
        /// Whether the whole input was written.
        var wroteInput: Bool
        /// The first few kilobytes of its error output.
        var errorOutput: String
    }

    /// Held while new pipe ends are not yet close-on-exec, and while spawning: a child
    /// spawned in between would inherit them and hold a command's input open after it was
    /// written, so that the command waits for its end until that other child exits.
    private static let descriptorLock = NSLock()

    struct LaunchFailure: Error {
        let message: String
    }

    static func run(_ command: [String], input: Data, timeout: TimeInterval) throws -> Outcome {
        guard let executable = command.first else { throw LaunchFailure(message: "empty command") }
        var inputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        // Every end close-on-exec: none may leak into this child (dup2 gives it clean copies
        // on 0 and 2) nor into a child another thread spawns meanwhile. Glibc's `pipe2` is
        // not visible from Swift, so the ends are marked after `pipe`, and the lock keeps
        // this process's spawns out of that window.
        let pipeError: Int32? = descriptorLock.withLock {
            guard pipe(&inputPipe) == 0 else { return errno }
            guard pipe(&errorPipe) == 0 else {
                let error = errno
                close(inputPipe[0])
                close(inputPipe[1])
                return error
            }
            for descriptor in inputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            return nil
        }
        if let pipeError { throw LaunchFailure(message: String(cString: strerror(pipeError))) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, inputPipe[0])
        posix_spawn_file_actions_addclose(&actions, errorPipe[1])

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        // posix_spawnp: a bare name (`msmtp`) is looked up in PATH, as a shell would.
        func spawn() -> Int32 {
            descriptorLock.withLock { posix_spawnp(&pid, executable, &actions, &attributes, arguments, environ) }
        }
        var status = spawn()
        // ETXTBSY: the command file is still open for writing somewhere — typically it was
        // just installed, and a process forked meanwhile holds the writer's descriptor until
        // its own exec. That passes within milliseconds, so wait a little, a bounded number of times.
        var busyRetries = 0
        while status == ETXTBSY && busyRetries < 50 {
            busyRetries += 1
            usleep(20_000)
            status = spawn()
        }
        close(inputPipe[0])
        close(errorPipe[1])
        guard status == 0 else {
            close(inputPipe[1])
            close(errorPipe[0])
            throw LaunchFailure(message: String(cString: strerror(status)))
        }

        // Write the input and read the error output on their own threads: either pipe may
        // fill while the command waits for the other.
        let writer = inputPipe[1]
        let reader = errorPipe[0]
        let wrote = Flag()
        let errors = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            wrote.set(writeAll(writer, input))
            close(writer)
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = read(reader, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                errors.append(buffer[0..<count])
            }
            close(reader)
            group.leave()
        }

        let deadline = Date().addingTimeInterval(timeout)
        var waitStatus: Int32 = 0
        var ended = false
        while !ended {
            let result = waitpid(pid, &waitStatus, WNOHANG)
            if result == pid { ended = true; break }
            if result < 0 && errno != EINTR { break }
            if Date() >= deadline { break }
            usleep(5_000)
        }
        if !ended {
            kill(pid, SIGKILL)
            while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        }
        // A background child of the command may keep the error pipe open: do not wait for it.
        _ = group.wait(timeout: .now() + (ended ? 2 : 0.5))
        let exited = waitStatus & 0x7F == 0
        return Outcome(
            exitStatus: exited ? (waitStatus >> 8) & 0xFF : nil, signal: exited ? nil : waitStatus & 0x7F,
            timedOut: !ended, wroteInput: wrote.value, errorOutput: errors.text)
    }

    private static func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = false
        func set(_ value: Bool) {
            lock.lock()
            stored = value
            lock.unlock()
        }
        var value: Bool {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        private static let kept = 4_096
        func append(_ chunk: ArraySlice<UInt8>) {
            lock.lock()
            defer { lock.unlock() }
            if bytes.count < Self.kept { bytes += chunk.prefix(Self.kept - bytes.count) }
        }
        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
