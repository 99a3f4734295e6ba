import Foundation
import RelaisCore

/// Measures the three ways an event can reach a Lua filter, for the choice documented in
/// docs/lua-host.md: a userdata view converting fields on access (what Relais uses), an
/// eager table with every field, and one proxy table refilled for each event.
public enum EventViewBenchmark {
    public enum Representation: Int32, CaseIterable, Sendable {
        case userdataView = 0
        case eagerTable = 1
        case reusedProxy = 2

        public var label: String {
            switch self {
            case .userdataView: "userdata view, lazy fields"
            case .eagerTable: "eager table per event"
            case .reusedProxy: "reused proxy table"
            }
        }
    }

    /// Nanoseconds per event to lay events out for Lua (what every representation pays).
    public static func measureLayout(events: [Event]) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        var total = 0
        for event in events { total &+= EventBlob(event).bytes.count }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        return total == 0 ? 0 : elapsed / Double(max(1, events.count))
    }

    /// Runs `filterSource` (Lua returning a function of one event) over `events` with each
    /// representation; returns nanoseconds per event and the number matched.
    public static func measure(events: [Event], filterSource: String, representation: Representation) throws
        -> (nanosecondsPerEvent: Double, matched: Int)
    {
        let runtime = try ScriptRuntime(
            name: "bench", origin: ScriptOrigin(pluginID: nil, folder: URL(fileURLWithPath: "/")),
            limits: ScriptLimits(instructions: 0, memory: 1 << 30), events: nil, write: { _, _ in })
        _ = try runtime.lua.run("relais.filter('bench', \(filterSource))", chunkname: "=bench")
        let blobs = events.map { EventBlob($0).bytes }
        let start = DispatchTime.now().uptimeNanoseconds
        let matched = try runtime.lua.filterMany(mode: representation.rawValue, filter: "bench", blobs: blobs)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        return (elapsed / Double(max(1, events.count)), matched)
    }
}
