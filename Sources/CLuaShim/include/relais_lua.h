// CLuaShim: the C side of Relais's Lua host.
//
// Why a C target: Debian's liblua5.4 raises errors with longjmp, and a longjmp that crosses
// a Swift frame skips Swift's cleanup (leaks, broken invariants, undefined behaviour). So:
//  - every call into Lua goes through relais_lua_* functions below, which run the work in
//    protected mode (lua_pcall) and return a status;
//  - Swift functions exposed to Lua never touch a Lua API that can raise: the C trampoline
//    converts their arguments to plain C values, calls Swift, then pushes the results (or
//    raises the error Swift returned) after the Swift frame has returned;
//  - the allocator enforces a per-state memory budget, and a count hook an instruction
//    budget that a script cannot catch: once tripped, the hook re-arms on every instruction
//    and raises again until control is back in the host.
#ifndef RELAIS_LUA_H
#define RELAIS_LUA_H

#include <stddef.h>
#include <stdint.h>
#include <lua5.4/lua.h>

/// Why a script was stopped.
typedef enum {
    RELAIS_STOP_NONE = 0,
    RELAIS_STOP_CPU = 1,
    RELAIS_STOP_MEMORY = 2,
    RELAIS_STOP_EXIT = 3,
} relais_lua_stop;

/// A plain value crossing between C and Swift (no Lua object inside).
typedef enum {
    RELAIS_VALUE_NIL = 0,
    RELAIS_VALUE_BOOLEAN = 1,
    RELAIS_VALUE_INTEGER = 2,
    RELAIS_VALUE_NUMBER = 3,
    RELAIS_VALUE_STRING = 4,
    /// An event blob (see relais_event_blob layout) that C turns into a read-only view.
    RELAIS_VALUE_EVENT = 5,
    /// Any other Lua type (table, function, …): only its type name is passed.
    RELAIS_VALUE_OTHER = 6,
} relais_value_type;

typedef struct {
    relais_value_type type;
    int boolean;
    long long integer;
    double number;
    /// For STRING and EVENT: bytes (not NUL-terminated) and their length. For OTHER: the
    /// Lua type name.
    const char *bytes;
    size_t length;
} relais_lua_value;

#define RELAIS_LUA_MAX_VALUES 16

/// What a Swift function hands back to the trampoline.
typedef struct {
    /// 0: results are in values; 1: values[0] is the error message to raise.
    int failed;
    int count;
    relais_lua_value values[RELAIS_LUA_MAX_VALUES];
} relais_lua_results;

/// The one entry point from Lua into Swift. It must not call any Lua API that can raise.
typedef void (*relais_lua_swift_function)(void *context, int function_id, const relais_lua_value *arguments,
                                          int argument_count, relais_lua_results *results);

/// Creates a sandboxed state: base (reduced), string (no dump), table, math, utf8,
/// coroutine and os.time/date/clock/difftime, with `load` limited to text chunks,
/// `collectgarbage` to "count", no `__gc` through setmetatable, `xpcall` whose handler runs
/// after unwinding, `string.rep` bounded by the memory budget. `context` and `swift` serve
/// the functions registered with relais_lua_register. Returns NULL when out of memory.
lua_State *relais_lua_open(size_t memory_limit, void *context, relais_lua_swift_function swift);
void relais_lua_close(lua_State *L);

/// Memory in use by the state, its budget, and the peak seen.
size_t relais_lua_memory_used(lua_State *L);
size_t relais_lua_memory_peak(lua_State *L);
void relais_lua_set_memory_limit(lua_State *L, size_t limit);

/// The fields scripts have read from event views so far, one bit per field
/// (RELAIS_FIELD_ID is bit 0).
uint32_t relais_lua_fields_read(lua_State *L);

/// Resets the stop state and arms the instruction budget for the next call into Lua
/// (0: no limit).
void relais_lua_begin_call(lua_State *L, long long instruction_limit);
/// Instructions counted since relais_lua_begin_call (to the hook's granularity).
long long relais_lua_instructions(lua_State *L);

/// Why the last call stopped, and the message naming file and line.
relais_lua_stop relais_lua_stopped(lua_State *L);
const char *relais_lua_stop_message(lua_State *L);
int relais_lua_exit_status(lua_State *L);

/// Registers a global function `name` (dotted names go into tables: "relais.text.fold")
/// that calls `swift` with `function_id`. Returns 0 on success, else a Lua status.
int relais_lua_register(lua_State *L, const char *name, int function_id);

/// Loads `source` as a text chunk named `chunkname` ("@la-base/init.lua") and runs it in
/// protected mode with a traceback handler. If `result` is not NULL, the first value the
/// chunk returns is copied there (strings into the state's scratch space, valid until the
/// next call). Returns a Lua status; on error relais_lua_error_message() has the message.
int relais_lua_run(lua_State *L, const char *source, size_t length, const char *chunkname, relais_lua_value *result);

/// Runs the host's Lua prelude (protected). It must return a table with `invoke` (the
/// dispatcher relais_lua_invoke calls) and `filters` (name → function); both are kept in the
/// registry, out of scripts' reach. Returns a Lua status.
int relais_lua_install_prelude(lua_State *L, const char *source, size_t length, const char *chunkname);

/// Calls the private dispatcher that the Lua prelude registered (`relais.__invoke`) with
/// (action, name, view-of-event-or-nil, extra string or nil), protected, and copies its
/// first result to `result`. Returns a Lua status.
int relais_lua_invoke(lua_State *L, const char *action, const char *name, const void *event_blob, size_t blob_length,
                      const char *extra, size_t extra_length, relais_lua_value *result);

/// Like relais_lua_invoke, with the event given as its fields' text lent by a store:
/// RELAIS_EVENT_FIELDS base addresses (NULL for an absent field) and byte counts, in the
/// text forms of the blob below. The view copies them. `unlent` has a bit (1 << field) for
/// each field the store did not lend: the view's first read of one calls the loader (see
/// relais_lua_set_loader) with (lender, reference, id) for the whole event.
int relais_lua_invoke_fields(lua_State *L, const char *action, const char *name, const void *const *field_bases,
                             const size_t *field_counts, uint32_t unlent, int lender, long long reference,
                             const char *extra, size_t extra_length, relais_lua_value *result);

/// Runs filter `name` over `count` events in one protected call: event `i`'s fields are
/// at `field_bases[i * RELAIS_EVENT_FIELDS …]` (as for relais_lua_invoke_fields), its
/// reference at `references[i]`; `results[i]` is set to 1 when the filter returned true.
/// Each event gets the whole instruction budget of relais_lua_begin_call. With a lender
/// (`lender` >= 0), the views borrow the fields, which must stay where they are until the
/// call returns; a view kept past it reads its event through the loader. Returns a Lua
/// status; *done is the number of events whose result is set (on an error, those before
/// the failing one; the events after it are not run).
int relais_lua_filter_batch(lua_State *L, const char *name, const void *const *field_bases, const size_t *field_counts,
                            uint32_t unlent, int lender, const long long *references, size_t count,
                            unsigned char *results, size_t *done);

/// Like relais_lua_invoke, with a second event view passed after `extra` (a change's
/// event before it changed; NULL for none).
int relais_lua_invoke_two(lua_State *L, const char *action, const char *name, const void *event_blob,
                          size_t blob_length, const void *second_blob, size_t second_length, const char *extra,
                          size_t extra_length, relais_lua_value *result);

/// Names the Swift function (an id served by the state's swift function) that loads the
/// whole of a partially lent event: called with (integer lender, integer reference, string
/// id), it returns the event as RELAIS_VALUE_EVENT, or fails with a message.
void relais_lua_set_loader(lua_State *L, int function_id);

/// The message of the last failed run/invoke: "file.lua:12: message\nstack traceback: …".
const char *relais_lua_error_message(lua_State *L);

/// Event blob layout: RELAIS_EVENT_FIELDS little-endian int32 lengths (-1 = absent), then
/// the bytes of each present field, in order, in the text forms of RelaisCore's
/// EventFieldTexts: slots as `start` or `start/end` joined by `;`, online as `1` or `0`,
/// audience and tags as JSON arrays of strings, every other field as its text.
enum {
    RELAIS_FIELD_ID = 0, RELAIS_FIELD_TITLE, RELAIS_FIELD_KIND, RELAIS_FIELD_STATUS, RELAIS_FIELD_SLOTS,
    RELAIS_FIELD_REGION, RELAIS_FIELD_ONLINE, RELAIS_FIELD_LAB, RELAIS_FIELD_ORGANIZER, RELAIS_FIELD_PLACE,
    RELAIS_FIELD_URL, RELAIS_FIELD_CONTACT, RELAIS_FIELD_AUDIENCE, RELAIS_FIELD_TAGS, RELAIS_FIELD_DESCRIPTION,
    RELAIS_EVENT_FIELDS
};

/// Benchmark helpers: pushes `count` events as views (mode 0), eager tables (mode 1) or a
/// reused proxy table (mode 2) through the dispatcher's filter `name`; returns a Lua status
/// and the number of events for which the filter returned true in *matched.
int relais_lua_filter_many(lua_State *L, int mode, const char *name, const void *const *blobs, const size_t *lengths,
                           size_t count, size_t *matched);

#endif
