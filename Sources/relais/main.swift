import ArgumentParser
import Foundation
import RelaisStorage

// The composition root: parse arguments, run the command, map failures to the exit
// statuses of contract §2 (0 success, 1 a failure the user can act on, 2 bad usage).

// A closed pipe (`relais query | head`) must end the output quietly, not kill the process.
signal(SIGPIPE, SIG_IGN)
// Before any thread touches SQLite.
SQLiteCatalogue.prepareProcess()

var given = Array(CommandLine.arguments.dropFirst())
// `relais` alone on a terminal opens the REPL, with any global options given
// (`relais --now 2020-11-10`).
if GlobalOptions.leadingGlobalOptionCount(given) == given.count && isatty(STDIN_FILENO) == 1
    && isatty(STDOUT_FILENO) == 1
{
    given.append("repl")
}
let arguments = GlobalOptions.hoistingGlobalOptions(given)
let command: any ParsableCommand
do {
    command = try RelaisCommand.parseAsRoot(arguments)
} catch {
    let code = RelaisCommand.exitCode(for: error)
    if code == .success {
        print(RelaisCommand.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((RelaisCommand.fullMessage(for: error) + "\n").utf8))
    exit(2)
}
do {
    var runnable = command
    try runnable.run()
    exit(0)
} catch let exitCode as ExitCode {
    exit(exitCode.rawValue)
} catch let usage as ValidationError {
    FileHandle.standardError.write(Data(("relais: " + usage.message + "\n").utf8))
    exit(2)
} catch where RelaisCommand.exitCode(for: error) == .success {
    // `relais help …` reaches here as a "clean exit" carrying the help text.
    print(RelaisCommand.fullMessage(for: error))
    exit(0)
} catch {
    FileHandle.standardError.write(Data(("relais: " + userMessage(for: error) + "\n").utf8))
    exit(1)
}
