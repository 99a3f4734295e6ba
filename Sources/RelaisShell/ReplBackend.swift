import Foundation
import RelaisCore

/// What the REPL needs from the rest of Relais, so that the shell depends on no store,
/// Lua or format type: the executable implements it over the catalogue and the plugins.
public protocol ReplBackend: AnyObject {
    /// Calls `body` with each event `query` lists (built-in and plugin filters), in order;
    /// `body` returns false to stop.
    func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws
    /// How many events `query` lists.
    func count(matching query: EventQuery) throws -> Int
    func event(id: String) throws -> Event?
    /// The event's changes, oldest first.
    func history(of id: String) throws -> [EventChange]
    /// Event ids starting with `prefix` (for completion), at most `limit`.
    func eventIDs(startingWith prefix: String, limit: Int) -> [String]

    /// Writes the events of `query` through exporter `format` to `path` (atomically), or
    /// to `output` when `path` is nil. Returns how many events were written.
    func export(format: String, query: EventQuery, to path: String?, output: (String) throws -> Void) throws -> Int
    /// Every exporter name (built-in and Lua).
    var exporterNames: [String] { get }

    /// The plugins, for `:plugins`: one line each.
    func pluginSummaries() -> [String]
    /// Lab ids by name key, and the plugin filters (`la-base.agents`), for the parser.
    var labs: [String: String] { get }
    var scriptFilters: [String] { get }
    /// Plugins that declare digests.
    var digestPlugins: [String] { get }
    /// The plugin's digest for `week`, as text.
    func digest(plugin: String, week: ISOWeek) throws -> String

    var savedQueries: any SavedQueryStore { get }

    /// Runs a Lua chunk in the REPL's own sandboxed state (kept between chunks).
    func lua(_ chunk: String, now: Date) -> LuaChunkResult
}

/// What a Lua chunk typed at the `lua>` prompt gave.
public enum LuaChunkResult: Equatable, Sendable {
    /// What it printed and returned.
    case output(String)
    /// The chunk is not finished (an open `function`, `do`, string…): read another line.
    case incomplete
    /// An error, with the chunk's line.
    case failure(String)
}
