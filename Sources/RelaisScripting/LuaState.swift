import CLua
import CLuaShim
import Foundation

/// A value a Swift function exposed to Lua receives.
public enum LuaArgument: Sendable, Equatable {
    case none
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// A table, function, userdata, … (only its type name crosses).
    case other(String)

    var typeName: String {
        switch self {
        case .none: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .other(let name): name
        }
    }
}

/// A value a Swift function hands back to Lua.
public enum LuaResult: Sendable, Equatable {
    case none
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// An event, which Lua sees as a read-only view.
    case event(Event)
}

import RelaisCore

/// A failure a Swift function reports to Lua; Lua raises it as an error at the caller's line.
public struct LuaFunctionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The limits one Lua state runs under.
public struct ScriptLimits: Sendable, Equatable {
    /// Instructions per call into Lua (a run of a script, one filter call, one exporter call).
    public var instructions: Int64
    /// Bytes the state may hold.
    public var memory: Int

    /// 100 million instructions (about a second) and 64 MiB.
    public static let defaults = ScriptLimits(instructions: 100_000_000, memory: 64 << 20)

    public init(instructions: Int64, memory: Int) {
        self.instructions = instructions
        self.memory = memory
    }
}

/// One `lua_State` with its sandbox, limits and Swift functions. Not thread-safe: a state
/// belongs to one plugin or one script and is used from one thread at a time.
final class LuaState {
    typealias Function = ([LuaArgument]) throws -> [LuaResult]

    private(set) var state: OpaquePointer?
    /// The plugin id or script file, for messages.
    let name: String
    var limits: ScriptLimits
    private var functions: [Function] = []
    /// Runs after every call into Lua, to drop per-call host state (open iterations).
    var afterCall: (() -> Void)?
    /// Applied to every error message before it leaves the state (hides secrets).
    var redact: ((String) -> String)?
    /// Bytes handed to C for the results of the last Swift call; C copies them into Lua
    /// right after the call returns, so they only need to outlive that call.
    private var resultStorage: [UnsafeMutableRawBufferPointer] = []
    /// The stores that lent events in part to views of this state, by the index the views
    /// keep; views ask them for the rest (see ``EventFieldTexts``).
    private var lenders: [any EventFieldLender] = []
    /// The id C calls to load the rest of a partially lent event.
    private static let loaderFunctionID = Int32.max

    /// Creates the sandboxed state. Throws if the process is out of memory.
    init(name: String, limits: ScriptLimits) throws {
        self.name = name
        self.limits = limits
        let context = Unmanaged.passUnretained(self).toOpaque()
        // The context pointer is only used while this object is alive: deinit closes the state.
        guard let opened = relais_lua_open(limits.memory > 0 ? limits.memory : 0, context, luaStateDispatch) else {
            throw ScriptError(message: "\(name): cannot create a Lua state (out of memory)")
        }
        state = opened
        relais_lua_set_loader(opened, Self.loaderFunctionID)
    }

    deinit {
        releaseResults()
        relais_lua_close(state)
    }

    /// Exposes `body` to Lua as the global `name` (dotted names create tables).
    func register(_ name: String, _ body: @escaping Function) throws {
        functions.append(body)
        let status = relais_lua_register(state, name, Int32(functions.count - 1))
        if status != LUA_OK { throw ScriptError(message: "\(self.name): cannot register \(name) (out of memory)") }
    }

    /// Exposes `relais.exit`, which stops the script with a status a pcall cannot swallow.
    func registerExit(_ name: String) throws {
        if relais_lua_register(state, name, -1) != LUA_OK {
            throw ScriptError(message: "\(self.name): cannot register \(name) (out of memory)")
        }
    }

    /// Installs the host prelude (see `Prelude.swift`).
    func installPrelude(_ source: String) throws {
        relais_lua_begin_call(state, 0)
        let status = source.utf8CString.withUnsafeBufferPointer { buffer in
            relais_lua_install_prelude(state, buffer.baseAddress, buffer.count - 1, "=relais")
        }
        try check(status)
    }

    /// What a finished call returned.
    enum Outcome: Equatable {
        case none
        case boolean(Bool)
        case number(Double)
        case string(String)
        case other(String)
        /// The script called `relais.exit(status)`.
        case exit(Int32)
    }

    /// Runs a chunk of Lua text named `chunkname` (`@la-base/init.lua`).
    func run(_ source: String, chunkname: String) throws -> Outcome {
        relais_lua_begin_call(state, limits.instructions)
        defer { afterCall?() }
        var value = relais_lua_value()
        let status = source.utf8CString.withUnsafeBufferPointer { buffer in
            relais_lua_run(state, buffer.baseAddress, buffer.count - 1, chunkname, &value)
        }
        if relais_lua_stopped(state) == RELAIS_STOP_EXIT { return .exit(relais_lua_exit_status(state)) }
        try check(status)
        return outcome(value)
    }

    /// Calls the prelude's dispatcher: `action` (`filter`, `exporter.event`, …) on `name`,
    /// with an event view and an extra string.
    func invoke(_ action: String, _ name: String, event: EventArgument? = nil, extra: String? = nil) throws -> Outcome {
        relais_lua_begin_call(state, limits.instructions)
        defer { afterCall?() }
        var value = relais_lua_value()
        let status: Int32
        switch event {
        case .fields(let fields):
            let lender = fields.lender.map(lenderIndex) ?? -1
            status = extra.withOptionalCString { extraPointer, extraCount in
                relais_lua_invoke_fields(
                    state, action, name, fields.bases, fields.counts, fields.unlent, lender, fields.reference,
                    extraPointer, extraCount, &value)
            }
        case .event(let event):
            let blob = EventBlob(event).bytes
            status = blob.withUnsafeBytes { blobBytes in
                extra.withOptionalCString { extraPointer, extraCount in
                    relais_lua_invoke(
                        state, action, name, blobBytes.baseAddress, blobBytes.count, extraPointer, extraCount, &value)
                }
            }
        case nil:
            status = extra.withOptionalCString { extraPointer, extraCount in
                relais_lua_invoke(state, action, name, nil, 0, extraPointer, extraCount, &value)
            }
        }
        if relais_lua_stopped(state) == RELAIS_STOP_EXIT { return .exit(relais_lua_exit_status(state)) }
        try check(status)
        return outcome(value)
    }

    /// Calls the prelude's dispatcher with two events: `action` on `name` with a view of
    /// `event`, `extra`, and a view of `second` (a change's event before and after).
    func invoke(_ action: String, _ name: String, event: Event, extra: String, second: Event?) throws -> Outcome {
        relais_lua_begin_call(state, limits.instructions)
        defer { afterCall?() }
        var value = relais_lua_value()
        let first = EventBlob(event).bytes
        let other = second.map { EventBlob($0).bytes } ?? []
        let status = first.withUnsafeBytes { firstBytes in
            other.withUnsafeBytes { otherBytes in
                extra.withCString { extraPointer in
                    relais_lua_invoke_two(
                        state, action, name, firstBytes.baseAddress, firstBytes.count,
                        second == nil ? nil : otherBytes.baseAddress, otherBytes.count, extraPointer,
                        extra.utf8.count, &value)
                }
            }
        }
        if relais_lua_stopped(state) == RELAIS_STOP_EXIT { return .exit(relais_lua_exit_status(state)) }
        try check(status)
        return outcome(value)
    }

    /// Calls filter `name` (a NUL-terminated name, made once per filter: this runs once
    /// per event of a listing) on the event whose text a store lent.
    func invokeFilter(_ name: ContiguousArray<CChar>, fields: EventFieldTexts) throws -> Outcome {
        relais_lua_begin_call(state, limits.instructions)
        defer { afterCall?() }
        var value = relais_lua_value()
        let lender = fields.lender.map(lenderIndex) ?? -1
        let status = name.withUnsafeBufferPointer { name in
            relais_lua_invoke_fields(
                state, UnsafeRawPointer(Self.filterAction.utf8Start).assumingMemoryBound(to: CChar.self),
                name.baseAddress, fields.bases, fields.counts, fields.unlent, lender,
                fields.reference, nil, 0, &value)
        }
        if relais_lua_stopped(state) == RELAIS_STOP_EXIT { return .exit(relais_lua_exit_status(state)) }
        try check(status)
        return outcome(value)
    }

    private static let filterAction: StaticString = "filter"

    /// Runs filter `name` over every event of `batch` in one protected call (each event
    /// with the whole instruction budget), appending each answer to `results`; on an
    /// error, `results` holds the answers before the failing event. Returns false when
    /// the script called `relais.exit`.
    func invokeFilterBatch(_ name: ContiguousArray<CChar>, batch: EventFieldBatch, into results: inout [Bool]) throws
        -> Bool
    {
        guard batch.count > 0 else { return true }
        relais_lua_begin_call(state, limits.instructions)
        defer { afterCall?() }
        let lender = batch.lender.map(lenderIndex) ?? -1
        var answers = [UInt8](repeating: 0, count: batch.count)
        var done = 0
        let status = name.withUnsafeBufferPointer { name in
            answers.withUnsafeMutableBufferPointer { answers in
                relais_lua_filter_batch(
                    state, name.baseAddress, batch.bases, batch.counts, batch.unlent, lender, batch.references,
                    batch.count, answers.baseAddress, &done)
            }
        }
        for answer in answers.prefix(min(done, batch.count)) { results.append(answer != 0) }
        if relais_lua_stopped(state) == RELAIS_STOP_EXIT { return false }
        try check(status)
        return true
    }

    /// The event an ``invoke(_:_:event:extra:)`` hands to Lua as a read-only view.
    enum EventArgument {
        /// A built event.
        case event(Event)
        /// An event's stored text, lent by the store.
        case fields(EventFieldTexts)
    }

    /// Runs filter `name` over `events` in one protected call, for the benchmark of event
    /// representations: 0 views, 1 eager tables, 2 a reused proxy table.
    func filterMany(mode: Int32, filter name: String, blobs: [[UInt8]]) throws -> Int {
        var pointers: [UnsafeRawPointer?] = []
        var lengths: [Int] = []
        var matched = 0
        relais_lua_begin_call(state, 0)
        let status: Int32 = withExtendedLifetime(blobs) {
            for blob in blobs {
                pointers.append(blob.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) })
                lengths.append(blob.count)
            }
            return relais_lua_filter_many(state, mode, name, &pointers, &lengths, blobs.count, &matched)
        }
        try check(status)
        return matched
    }

    var memoryUsed: Int { relais_lua_memory_used(state) }
    var memoryPeak: Int { relais_lua_memory_peak(state) }
    var instructionsUsed: Int64 { Int64(relais_lua_instructions(state)) }
    /// The fields scripts have read from event views so far, one bit per field.
    var fieldsRead: UInt32 { relais_lua_fields_read(state) }

    private func check(_ status: Int32) throws {
        guard status != LUA_OK else { return }
        let text = String(cString: relais_lua_error_message(state))
        throw ScriptError(lua: redact?(text) ?? text, stop: relais_lua_stopped(state))
    }

    private func outcome(_ value: relais_lua_value) -> Outcome {
        switch value.type {
        case RELAIS_VALUE_BOOLEAN: return .boolean(value.boolean != 0)
        case RELAIS_VALUE_INTEGER: return .number(Double(value.integer))
        case RELAIS_VALUE_NUMBER: return .number(value.number)
        case RELAIS_VALUE_STRING: return .string(Self.string(value))
        case RELAIS_VALUE_OTHER: return .other(Self.string(value))
        default: return .none
        }
    }

    static func string(_ value: relais_lua_value) -> String {
        guard let bytes = value.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: value.length), as: UTF8.self)
    }

    // MARK: - Calls from Lua

    fileprivate func dispatch(
        _ id: Int32, _ arguments: UnsafePointer<relais_lua_value>?, _ count: Int32,
        _ results: UnsafeMutablePointer<relais_lua_results>
    ) {
        releaseResults()
        var converted: [LuaArgument] = []
        converted.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            guard let value = arguments?[index] else { break }
            switch value.type {
            case RELAIS_VALUE_BOOLEAN: converted.append(.boolean(value.boolean != 0))
            case RELAIS_VALUE_INTEGER: converted.append(.integer(value.integer))
            case RELAIS_VALUE_NUMBER: converted.append(.number(value.number))
            case RELAIS_VALUE_STRING: converted.append(.string(Self.string(value)))
            case RELAIS_VALUE_OTHER: converted.append(.other(Self.string(value)))
            default: converted.append(.none)
            }
        }
        if id == Self.loaderFunctionID {
            loadLentEvent(converted, results)
            return
        }
        let produced: [LuaResult]
        do {
            guard id >= 0, Int(id) < functions.count else { throw LuaFunctionError("unknown host function") }
            produced = try functions[Int(id)](converted)
        } catch {
            results.pointee.failed = 1
            results.pointee.count = 1
            let message = (error as? LuaFunctionError)?.message ?? String(describing: error)
            setResult(&results.pointee.values.0, .string(message))
            return
        }
        let count = min(produced.count, Int(RELAIS_LUA_MAX_VALUES))
        results.pointee.count = Int32(count)
        withUnsafeMutableBytes(of: &results.pointee.values) { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: relais_lua_value.self) else { return }
            for index in 0..<count { setResult(&base[index], produced[index]) }
        }
    }

    private func lenderIndex(_ lender: any EventFieldLender) -> Int32 {
        if let index = lenders.firstIndex(where: { $0 === lender }) { return Int32(index) }
        lenders.append(lender)
        return Int32(lenders.count - 1)
    }

    /// Answers a view that needs a field its store did not lend: the whole event, as a blob.
    private func loadLentEvent(_ arguments: [LuaArgument], _ results: UnsafeMutablePointer<relais_lua_results>) {
        // A light view (a batch's event, relais_lua.c) names its event by key alone.
        var id: String?
        if arguments.count == 3, case .string(let given) = arguments[2] { id = given }
        guard arguments.count == 2 || id != nil, case .integer(let lender) = arguments[0],
            case .integer(let reference) = arguments[1], lender >= 0, lender < lenders.count
        else {
            results.pointee.failed = 1
            results.pointee.count = 1
            setResult(&results.pointee.values.0, .string("an event view lost its catalogue"))
            return
        }
        do {
            let blob = try lenders[Int(lender)].withAllFields(reference: reference, id: id) { fields in
                EventBlob(fields: fields).bytes
            }
            guard let blob else {
                results.pointee.failed = 1
                results.pointee.count = 1
                setResult(&results.pointee.values.0, .string("\(Self.naming(id, reference)) is no longer in the catalogue"))
                return
            }
            results.pointee.count = 1
            results.pointee.values.0 = relais_lua_value()
            results.pointee.values.0.type = RELAIS_VALUE_EVENT
            let stored = keep(blob)
            results.pointee.values.0.bytes = stored.baseAddress.map {
                UnsafePointer($0.assumingMemoryBound(to: CChar.self))
            }
            results.pointee.values.0.length = stored.count
        } catch {
            results.pointee.failed = 1
            results.pointee.count = 1
            setResult(&results.pointee.values.0, .string("\(Self.naming(id, reference)): \(error)"))
        }
    }

    /// How an error names a lent event: by its id when the view knows it, else by its key.
    private static func naming(_ id: String?, _ reference: Int64) -> String {
        id.map { "event '\($0)'" } ?? "event #\(reference)"
    }

    private func setResult(_ slot: inout relais_lua_value, _ result: LuaResult) {
        slot = relais_lua_value()
        switch result {
        case .none: slot.type = RELAIS_VALUE_NIL
        case .boolean(let value):
            slot.type = RELAIS_VALUE_BOOLEAN
            slot.boolean = value ? 1 : 0
        case .integer(let value):
            slot.type = RELAIS_VALUE_INTEGER
            slot.integer = value
        case .number(let value):
            slot.type = RELAIS_VALUE_NUMBER
            slot.number = value
        case .string(let text):
            slot.type = RELAIS_VALUE_STRING
            let stored = keep(Array(text.utf8))
            slot.bytes = stored.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
            slot.length = stored.count
        case .event(let event):
            slot.type = RELAIS_VALUE_EVENT
            let stored = keep(EventBlob(event).bytes)
            slot.bytes = stored.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
            slot.length = stored.count
        }
    }

    private func keep(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, let target = buffer.baseAddress {
                target.copyMemory(from: base, byteCount: bytes.count)
            }
        }
        resultStorage.append(buffer)
        return UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: bytes.count)
    }

    private func releaseResults() {
        for buffer in resultStorage { buffer.deallocate() }
        resultStorage.removeAll(keepingCapacity: true)
    }
}

/// The C-callable entry point for every Swift function exposed to Lua. It never raises:
/// failures are returned in `results` and the C trampoline raises them.
private func luaStateDispatch(
    _ context: UnsafeMutableRawPointer?, _ id: Int32, _ arguments: UnsafePointer<relais_lua_value>?, _ count: Int32,
    _ results: UnsafeMutablePointer<relais_lua_results>?
) {
    guard let context, let results else { return }
    Unmanaged<LuaState>.fromOpaque(context).takeUnretainedValue().dispatch(id, arguments, count, results)
}

extension Optional where Wrapped == String {
    fileprivate func withOptionalCString<R>(_ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
        guard let text = self else { return body(nil, 0) }
        return text.utf8CString.withUnsafeBufferPointer { body($0.baseAddress, $0.count - 1) }
    }
}
