import ArgumentParser

struct RelaisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relais",
        abstract: "The catalogue of the Mois de l'innovation publique: import, query and export events.",
        discussion: """
            The catalogue is a SQLite file: --catalogue PATH, else $RELAIS_CATALOGUE, else ./relais.sqlite.
            Exit status: 0 success, 1 a failure you can act on (bad input, …), 2 bad usage.
            """,
        subcommands: [
            ImportCommand.self, QueryCommand.self, ExportCommand.self, RunCommand.self, PluginsCommand.self,
            DigestCommand.self, OutboxCommand.self, FormatsCommand.self, ReplCommand.self,
        ])
}
