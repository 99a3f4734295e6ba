/// The Lua modules shipped with Relais, which any plugin or script loads with
/// `require("relais.NAME")`: code the regional labs share (filter helpers, the weekly
/// agenda, day-by-day layout, an ordered JSON writer) kept once here instead of copied
/// into every plugin folder, since `require` otherwise reads only the plugin's own folder.
/// They run in the sandbox of the state that loads them, with its limits, and use only
/// the public `relais` API.
enum SharedModules {
    /// The module names, without the `relais.` prefix.
    static let names = ["agenda", "calendrier", "changements", "filtres", "hebdo", "jours", "json-ordonne"]

    /// The source of module `name`, or nil.
    static func source(named name: String) -> String? {
        let bytes: [UInt8]
        switch name {
        case "agenda": bytes = PackageResources.agenda_lua
        case "calendrier": bytes = PackageResources.calendrier_lua
        case "changements": bytes = PackageResources.changements_lua
        case "filtres": bytes = PackageResources.filtres_lua
        case "hebdo": bytes = PackageResources.hebdo_lua
        case "jours": bytes = PackageResources.jours_lua
        case "json-ordonne": bytes = PackageResources.json_ordonne_lua
        default: return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
