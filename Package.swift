// swift-tools-version:6.1
import PackageDescription
// Only to read RELAIS_BENCHMARKS below (the benchmark package's own manifest does the same).
import class Foundation.ProcessInfo

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Relais",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "relais", targets: ["relais"]),
        .library(name: "RelaisCore", targets: ["RelaisCore"]),
        .library(name: "RelaisStorage", targets: ["RelaisStorage"]),
        .library(name: "RelaisFormats", targets: ["RelaisFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/JohnSundell/Ink", exact: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        // Already a dependency of async-http-client; named here for the webhook channel's own
        // event loop group and the tests' HTTP receiver.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // Domain model, queries, change detection, event bus, French dates, text folding,
        // and the protocols every other target implements. Foundation only.
        .target(name: "RelaisCore", swiftSettings: strictSwift),
        // Process-wide SQLite settings that need C (sqlite3_config is variadic).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite catalogue through GRDB; implements the core's store protocols.
        .target(
            name: "RelaisStorage",
            dependencies: [
                "RelaisCore", "CSQLiteSetup", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSwift),
        // Built-in readers and writers: JSON, JSON Lines, CSV, iCalendar.
        .target(name: "RelaisFormats", dependencies: ["RelaisCore"], swiftSettings: strictSwift),
        // Terminal concerns: aligned tables, progress bar, terminal detection (later the REPL).
        // Debian's libedit-dev through pkg-config: the REPL's line editing and history.
        .systemLibrary(name: "CLibedit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .target(name: "RelaisShell", dependencies: ["RelaisCore", "CLibedit"], swiftSettings: strictSwift),
        // Debian's liblua5.4-dev through pkg-config.
        .systemLibrary(
            name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        // What Swift cannot do with Lua: macros, the error trampoline, the limited allocator,
        // the count hook, event views. Everything that can raise a Lua error lives here.
        .target(name: "CLuaShim", dependencies: ["CLua"], linkerSettings: [.linkedLibrary("lua5.4")]),
        // The Lua host: sandbox, limits, the `relais` Lua API, plugins.
        .target(
            name: "RelaisScripting", dependencies: ["RelaisCore", "RelaisFormats", "CLua", "CLuaShim"],
            // Lua modules shipped with Relais (`require("relais.agenda")`), compiled into
            // the binary so that every plugin shares one copy and nothing is read at run time.
            resources: [
                .embedInCode("Modules/agenda.lua"), .embedInCode("Modules/calendrier.lua"),
                .embedInCode("Modules/changements.lua"),
                .embedInCode("Modules/filtres.lua"), .embedInCode("Modules/hebdo.lua"),
                .embedInCode("Modules/jours.lua"), .embedInCode("Modules/json-ordonne.lua"),
            ],
            swiftSettings: strictSwift),
        // Delivering the outbox: the delivery worker (leases, retries), the channels
        // (webhook over HTTP, sendmail, file), configuration and secrets.
        .target(
            name: "RelaisDelivery",
            dependencies: [
                "RelaisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift),
        // Weekly digests: the week a digest is built for, Mustache templates for plugins
        // (`relais.template`), Markdown to HTML and plain text, the digest's e-mail.
        .target(
            name: "RelaisDigests",
            dependencies: [
                "RelaisCore", "RelaisScripting",
                .product(name: "Ink", package: "Ink"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strictSwift),
        // The composition root: parses arguments and wires the targets above.
        .executableTarget(
            name: "relais",
            dependencies: [
                "RelaisCore", "RelaisStorage", "RelaisFormats", "RelaisShell", "RelaisScripting", "RelaisDelivery",
                "RelaisDigests", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift),
        // Benchmarks of the Lua host (not tests): `swift run -c release relais-bench FILE.jsonl`.
        .executableTarget(
            name: "relais-bench", dependencies: ["RelaisCore", "RelaisFormats", "RelaisScripting"],
            swiftSettings: strictSwift),
        // Test helpers shared by the test targets: temp catalogues, sample programme,
        // running the built binary.
        .target(name: "RelaisTesting", dependencies: ["RelaisCore"], swiftSettings: strictSwift),
        .testTarget(name: "RelaisCoreTests", dependencies: ["RelaisCore", "RelaisTesting"], swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisStorageTests", dependencies: ["RelaisStorage", "RelaisCore", "RelaisTesting"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisFormatsTests", dependencies: ["RelaisFormats", "RelaisCore", "RelaisTesting"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisScriptingTests",
            dependencies: ["RelaisScripting", "RelaisCore", "RelaisFormats", "RelaisStorage", "RelaisTesting"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisDigestsTests",
            dependencies: ["RelaisDigests", "RelaisScripting", "RelaisCore", "RelaisStorage", "RelaisTesting"],
            swiftSettings: strictSwift),
        .testTarget(name: "RelaisShellTests", dependencies: ["RelaisShell", "RelaisTesting"], swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisDeliveryTests",
            dependencies: [
                "RelaisDelivery", "RelaisCore", "RelaisStorage", "RelaisTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift),
        .testTarget(
            name: "RelaisCLITests", dependencies: ["RelaisCore", "RelaisTesting"], swiftSettings: strictSwift),
    ],
    swiftLanguageModes: [.v6]
)

// In-process micro-benchmarks of per-event costs (scripts/bench-micro), with
// ordo-one/benchmark. Declared only when RELAIS_BENCHMARKS is set, so that CI and ordinary
// builds neither resolve nor build that package and its dependencies. Its traits are
// narrowed to MallocInterposer (what counts mallocs): the default traits also pull in its
// ARC runtime interposer (swift-runtime-interposer), which does not resolve here.
if ProcessInfo.processInfo.environment["RELAIS_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "PerEventCosts",
            dependencies: [
                "RelaisCore", "RelaisFormats", "RelaisScripting", .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PerEventCosts",
            swiftSettings: strictSwift,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]))
}
