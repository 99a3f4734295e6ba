import Foundation
import RelaisCore

/// What `Plugins/<id>/manifest.lua` declares: a Lua file that returns a table, run in an
/// empty environment (it can compute values, but call nothing).
///
/// ```lua
/// return {
///   name = "La Base — Nouvelle-Aquitaine",
///   version = "1.0.0",
///   region = "75",
///   description = "Filtres et agenda du lab d'innovation publique de Nouvelle-Aquitaine",
///   limits = { instructions = 50000000, memory = 32 * 1024 * 1024 },
/// }
/// ```
public struct PluginManifest: Sendable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    public var region: Region?
    public var lab: String?
    public var description: String
    /// Limits the plugin asks for; nil keeps the default.
    public var instructionLimit: Int64?
    public var memoryLimit: Int?

    static let knownKeys: Set<String> = ["id", "name", "version", "region", "lab", "description", "limits"]

    /// Decodes the JSON the prelude made of the manifest table.
    static func decode(json: String, folderID: String) throws -> PluginManifest {
        let file = "\(folderID)/manifest.lua"
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let table = object as? [String: Any]
        else {
            throw ScriptError(message: "\(file): must return a table of fields (name, version, …)")
        }
        for key in table.keys where !knownKeys.contains(key) {
            throw ScriptError(
                message: "\(file): unknown field '\(key)' (expected id, name, version, region, lab, description, limits)")
        }
        func string(_ key: String, required: Bool) throws -> String? {
            switch table[key] {
            case let text as String: return text
            case nil: if required { throw ScriptError(message: "\(file): field '\(key)' is required") } else { return nil }
            default: throw ScriptError(message: "\(file): field '\(key)' must be a string")
            }
        }
        if let id = try string("id", required: false), id != folderID {
            throw ScriptError(message: "\(file): id '\(id)' does not match the folder name '\(folderID)'")
        }
        var manifest = PluginManifest(
            id: folderID, name: try string("name", required: true) ?? folderID,
            version: try string("version", required: true) ?? "0", region: nil,
            lab: try string("lab", required: false), description: try string("description", required: false) ?? "")
        if let regionText = try string("region", required: false), TextFolding.nameKey(regionText) != "national" {
            guard let region = Region.lookup(regionText) else {
                throw ScriptError(message: "\(file): region '\(regionText)' is not a region code or name")
            }
            manifest.region = region
        }
        if let limits = table["limits"] {
            guard let limits = limits as? [String: Any] else {
                throw ScriptError(message: "\(file): field 'limits' must be a table { instructions = …, memory = … }")
            }
            for key in limits.keys where key != "instructions" && key != "memory" {
                throw ScriptError(message: "\(file): unknown limit '\(key)' (expected instructions, memory)")
            }
            // A plugin may ask for more than the defaults, within a ceiling: only the person
            // running Relais (--cpu-limit, --memory-limit) may lift a plugin past it.
            if let value = limits["instructions"] {
                guard let number = value as? NSNumber, number.doubleValue >= 1,
                    number.doubleValue <= Double(Self.instructionCeiling)
                else {
                    throw ScriptError(
                        message: "\(file): limits.instructions must be an integer from 1 to \(Self.instructionCeiling)")
                }
                manifest.instructionLimit = number.int64Value
            }
            if let value = limits["memory"] {
                guard let number = value as? NSNumber, number.doubleValue >= Double(1 << 20),
                    number.doubleValue <= Double(Self.memoryCeiling)
                else {
                    throw ScriptError(
                        message: "\(file): limits.memory must be from 1048576 bytes (1 MiB) to \(Self.memoryCeiling) (1 GiB)")
                }
                manifest.memoryLimit = number.intValue
            }
        }
        return manifest
    }

    /// The most a manifest may ask for: ten times the default instructions, sixteen times
    /// the default memory.
    static let instructionCeiling: Int64 = 1_000_000_000
    static let memoryCeiling = 1 << 30

    init(id: String, name: String, version: String, region: Region?, lab: String?, description: String) {
        self.id = id
        self.name = name
        self.version = version
        self.region = region
        self.lab = lab
        self.description = description
    }
}
