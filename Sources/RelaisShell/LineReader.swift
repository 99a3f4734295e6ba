@preconcurrency import CLibedit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What reading a line gave.
public enum LineInput: Equatable, Sendable {
    case line(String)
    /// Ctrl-C at the prompt: the line is dropped, the shell goes on.
    case interrupted
    /// The terminal was resized while waiting; what was typed is kept for the next read.
    case resized
    /// End of input (Ctrl-D, or the end of a piped file).
    case end
}

/// Where the REPL's lines come from.
public protocol LineReader: AnyObject {
    func readLine(prompt: String) -> LineInput
    /// Remembers a line in the history (a terminal's; nothing for a pipe).
    func remember(_ line: String)
}

/// Standard input read line by line, with no prompt: `relais repl < questions.txt`.
public final class PipedLineReader: LineReader {
    public init() {}

    public func readLine(prompt: String) -> LineInput {
        guard let line = Swift.readLine(strippingNewline: true) else { return .end }
        return .line(line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }

    public func remember(_ line: String) {}
}

/// Signals the REPL handles itself: Ctrl-C (interrupt the running query, or drop the line
/// being typed) and terminal resizes. The handlers set flags, which the REPL reads, and
/// write a byte to a pipe, which wakes a wait for a key whenever the signal came: a flag
/// alone would be missed when the signal lands just before the wait begins.
public enum ShellSignals {
    nonisolated(unsafe) private static var interruptFlag: sig_atomic_t = 0
    nonisolated(unsafe) private static var resizeFlag: sig_atomic_t = 0
    nonisolated(unsafe) private static var wakeUpPipe: (read: Int32, write: Int32) = (-1, -1)

    /// Installs the handlers, without SA_RESTART so that a read waiting for a key returns.
    public static func install() {
        if wakeUpPipe.read < 0 {
            var ends: [Int32] = [-1, -1]
            if pipe(&ends) == 0 {
                for end in ends {
                    _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                    _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                }
                wakeUpPipe = (ends[0], ends[1])
            }
        }
        var interrupt = sigaction()
        interrupt.__sigaction_handler.sa_handler = { _ in
            ShellSignals.interruptFlag = 1
            ShellSignals.wakeUp()
        }
        sigemptyset(&interrupt.sa_mask)
        interrupt.sa_flags = 0
        sigaction(SIGINT, &interrupt, nil)
        var resize = sigaction()
        resize.__sigaction_handler.sa_handler = { _ in
            ShellSignals.resizeFlag = 1
            ShellSignals.wakeUp()
        }
        sigemptyset(&resize.sa_mask)
        resize.sa_flags = 0
        sigaction(SIGWINCH, &resize, nil)
        // A parent may have started us with them blocked (test runners do): Ctrl-C must reach us.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGINT)
        sigaddset(&unblocked, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }

    /// Async-signal-safe: one write to a non-blocking pipe (a full pipe already wakes).
    private static func wakeUp() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeUpPipe.write, &byte, 1)
    }

    /// Waits until standard input has a byte to read or a signal arrived. Returns false
    /// for a signal (read the flags), true when a read will not block.
    static func waitForInput() -> Bool {
        guard wakeUpPipe.read >= 0 else { return true }
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeUpPipe.read, events: Int16(POLLIN), revents: 0)]
        while true {
            if interruptFlag != 0 || resizeFlag != 0 { return false }
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return true  // let the read report the problem
            }
            if fds[1].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wakeUpPipe.read, &drained, drained.count) > 0 {}
                fds[1].revents = 0
                continue
            }
            return true
        }
    }

    /// Whether Ctrl-C was pressed since the last call (and forgets it).
    public static func takeInterrupt() -> Bool {
        guard interruptFlag != 0 else { return false }
        interruptFlag = 0
        return true
    }

    /// Whether Ctrl-C was pressed, without forgetting it (for long loops).
    public static var interruptPending: Bool { interruptFlag != 0 }

    /// Whether the terminal was resized, without forgetting it.
    public static var resizePending: Bool { resizeFlag != 0 }

    /// Records a Ctrl-C read as a key (when the terminal sends no signal for it).
    static func raiseInterrupt() { interruptFlag = 1 }

    /// Whether the terminal was resized since the last call (and forgets it).
    public static func takeResize() -> Bool {
        guard resizeFlag != 0 else { return false }
        resizeFlag = 0
        return true
    }
}

/// Offers completions for the word being typed, given the whole line before it.
public protocol CompletionSource: AnyObject {
    /// Candidates that complete `word`; `line` is the text before the word.
    func completions(for word: String, after line: String) -> [String]
}

/// A terminal: libedit (Debian's libedit-dev) through its readline interface — emacs
/// editing keys, Ctrl-R reverse search, history kept in a file between sessions, tab
/// completion.
public final class EditLineReader: LineReader {
    private let historyFile: URL?
    private let historyLimit: Int
    nonisolated(unsafe) private static var completionSource: (any CompletionSource)?
    nonisolated(unsafe) private static var candidates: [String] = []
    nonisolated(unsafe) private static var candidateIndex = 0
    nonisolated(unsafe) private static var keysSincePrompt = 0

    /// - Parameters:
    ///   - historyFile: where history is read from and written to (nil: none kept).
    ///   - historyLimit: the most lines kept, in memory and in the file.
    public init(historyFile: URL?, historyLimit: Int = 1000, completion: (any CompletionSource)?) {
        self.historyFile = historyFile
        self.historyLimit = historyLimit
        Self.completionSource = completion
        // libedit reads keys as wide characters of the locale: accents need a UTF-8 one.
        if setlocale(LC_CTYPE, "") == nil || String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" {
            _ = setlocale(LC_CTYPE, "C.UTF-8")
        }
        rl_readline_name = UnsafePointer(strdup("relais"))
        // Relais handles Ctrl-C and resizes itself (ShellSignals).
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        // Keys are read here rather than by libedit: Ctrl-C (a key when libedit has turned
        // ISIG off, a signal otherwise) and a resize must end the read, and libedit's own
        // reader retries a read interrupted by a signal. UTF-8 is decoded here too: libedit
        // takes each value returned as one character. (Set before rl_initialize, which reads it.)
        rl_getc_function = { _ in EditLineReader.readKey() }
        rl_initialize()
        using_history()
        stifle_history(Int32(historyLimit))
        if let historyFile {
            try? FileManager.default.createDirectory(
                at: historyFile.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            _ = read_history(historyFile.path)
        }
        rl_attempted_completion_function = { text, start, _ in
            // 0: when nothing is returned, libedit completes file names (after `:export … to`).
            rl_attempted_completion_over = 0
            // What libedit adds after a unique completion, read once this function has returned:
            // a space after a whole word. Set on every Tab, since completing a key turns it off.
            rl_completion_append_character = Int32(UInt8(ascii: " "))
            guard let source = EditLineReader.completionSource, let text else { return nil }
            let word = String(cString: text)
            var before = ""
            if let buffer = rl_line_buffer, start > 0 {
                let line = Array(String(cString: buffer).utf8)
                before = String(decoding: line.prefix(Int(start)), as: UTF8.self)
            }
            // After `to` in `:export FORMAT to …`: file names, which libedit completes itself.
            let words = before.split(separator: " ")
            if words.first == ":export", words.count >= 3, words.last == "to" { return nil }
            EditLineReader.candidates = source.completions(for: word, after: before)
            EditLineReader.candidateIndex = 0
            rl_attempted_completion_over = 1
            if EditLineReader.candidates.isEmpty { return nil }
            // A key (`reg` → `region:`) is followed by its value, not a space: with one,
            // `region: bretagne` would read as a key without a value.
            if EditLineReader.candidates.count == 1, EditLineReader.candidates[0].hasSuffix(":") {
                rl_completion_append_character = 0
            }
            return rl_completion_matches(text) { _, state in
                if state == 0 { EditLineReader.candidateIndex = 0 }
                guard EditLineReader.candidateIndex < EditLineReader.candidates.count else { return nil }
                let candidate = EditLineReader.candidates[EditLineReader.candidateIndex]
                EditLineReader.candidateIndex += 1
                return strdup(candidate)
            }
        }
    }

    /// One key as a Unicode scalar value, or EOF (-1) for Ctrl-C, a resize or the end.
    private static func readKey() -> Int32 {
        var bytes: [UInt8] = []
        var needed = 1
        while bytes.count < needed {
            var byte: UInt8 = 0
            let count = ShellSignals.waitForInput() ? Glibc.read(STDIN_FILENO, &byte, 1) : -1
            if count < 0 && (errno == EINTR || ShellSignals.interruptPending || ShellSignals.resizePending) {
                if ShellSignals.interruptPending { return -1 }
                if ShellSignals.resizePending {
                    // Nothing typed yet: end the read, so the last table is drawn again at
                    // the new width. Something typed: keep it, redrawn at the new width.
                    if Self.keysSincePrompt == 0 { return -1 }
                    _ = ShellSignals.takeResize()
                    rl_resize_terminal()
                }
                continue
            }
            guard count == 1 else { return -1 }
            if bytes.isEmpty {
                if byte == 0x03 {
                    ShellSignals.raiseInterrupt()
                    return -1
                }
                switch byte {
                case 0xC0...0xDF: needed = 2
                case 0xE0...0xEF: needed = 3
                case 0xF0...0xF7: needed = 4
                default: needed = 1
                }
            } else if byte & 0xC0 != 0x80 {
                return 0xFFFD
            }
            bytes.append(byte)
        }
        Self.keysSincePrompt += 1
        if bytes.count == 1 { return Int32(bytes[0]) }
        return String(decoding: bytes, as: UTF8.self).unicodeScalars.first.map { Int32($0.value) } ?? 0xFFFD
    }

    public func readLine(prompt: String) -> LineInput {
        do {
            _ = ShellSignals.takeResize()
            Self.keysSincePrompt = 0
            guard let raw = CLibedit.readline(prompt) else {
                if ShellSignals.takeInterrupt() {
                    // Ctrl-C: the line is dropped; a fresh prompt on the next line.
                    Terminal.writeOutput("^C\n")
                    return .interrupted
                }
                if ShellSignals.takeResize() {
                    // A resize at an empty prompt: the session redraws its last answer.
                    rl_resize_terminal()
                    Terminal.writeOutput("\n")
                    return .resized
                }
                return .end
            }
            defer { free(raw) }
            return .line(String(cString: raw))
        }
    }

    public func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        _ = add_history(line)
        guard let historyFile else { return }
        // Written after every line, so a killed shell loses nothing; capped at the limit.
        _ = write_history(historyFile.path)
        _ = history_truncate_file(historyFile.path, Int32(historyLimit))
        chmod(historyFile.path, 0o600)
    }

    /// `$XDG_STATE_HOME/relais/history`, else `~/.local/state/relais/history`.
    public static var defaultHistoryFile: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state).appendingPathComponent("relais/history")
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/relais/history")
    }
}
