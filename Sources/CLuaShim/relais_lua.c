// See include/relais_lua.h for why this file exists.
#include "relais_lua.h"
#include "relais_pattern.h"

#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_PERIOD 1000
#define SECONDS_PER_INSTRUCTION 3e-7
#define MESSAGE_SIZE 600
#define MAX_TRACEBACK_LINES 8
#define MAX_ERROR_MESSAGE 4096

typedef struct relais_lua_host {
    size_t used, limit, peak;
    long long instructions, instruction_limit;
    // A second bound on a call, in time: one instruction can do work proportional to its
    // operands (comparing two long strings, `s:upper()`), which the count does not see.
    // The clock is the thread's CPU time (other processes do not count); it starts at the
    // call's first hook (a call shorter than one hook period never reads it), and the call
    // may run SECONDS_PER_INSTRUCTION per instruction of its budget, about thirty times
    // what plain Lua needs.
    double clock_started;
    int stopped_by_time;
    relais_lua_stop stop;
    int exit_status;
    char stop_message[MESSAGE_SIZE];
    char last_source[LUA_IDSIZE];
    int last_line;
    // The last refused request: Lua retries a refused allocation once after an emergency
    // collection, so only a second refusal of the same request means the budget is spent.
    void *refused_block;
    size_t refused_size;
    int refusal_pending;
    // The thread running script code now (the main thread, or the coroutine our
    // coroutine.resume switched to), so a refused allocation can name the script's line.
    lua_State *current;
    void *context;
    relais_lua_swift_function swift;
    // The Swift function that loads the rest of a partial view (-1: none).
    int loader_function;
    // Registry references: the event views' metatable, the prelude's dispatcher and its
    // reporter of a filter that returned something other than a boolean.
    int view_metatable_ref;
    // The same metatable's address, which tells a view from any other userdata without a
    // registry lookup (the reference keeps it alive, and Lua never moves an object).
    const void *view_metatable;
    // The batch being filtered, whose light views read the fields it lends; NULL outside
    // a batch.
    const struct filter_batch_request *batch;
    // The whole event last loaded for a light view (a registry reference), and its key.
    int light_full_ref;
    long long light_full_reference;
    int light_full_lender;
    // Every field a script read from a view, one bit per field: a store may lend only those.
    uint32_t fields_read;
    int invoke_ref;
    int bad_filter_result_ref;
    // Scratch space for strings handed to Swift; owned here so an error can never leak it.
    char *scratch;
    size_t scratch_capacity;
    char *error_message;
} relais_lua_host;

static relais_lua_host *host_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (relais_lua_host *)ud;
}

// ---------------------------------------------------------------------------------------
// Memory: a budget per state. Past it the allocator refuses (Lua raises "not enough
// memory") and the stop is remembered, so the hook keeps raising even if a script catches.

static void record_script_location(lua_State *L, relais_lua_host *h, int first_level);

static void *relais_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    relais_lua_host *h = (relais_lua_host *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->used -= old;
        return NULL;
    }
    int retrying = h->refusal_pending && h->refused_block == ptr && h->refused_size == nsize;
    // Lua's core retries a refused request at once, after an emergency collection (which
    // only frees or shrinks); a growing request that is not that retry means the refusal
    // was given up — lauxlib's buffers (table.concat, string.format) raise an ordinary,
    // catchable error without retrying — so the budget is spent as surely.
    if (h->refusal_pending && nsize > old && !retrying && h->stop == RELAIS_STOP_NONE) h->stop = RELAIS_STOP_MEMORY;
    if (h->limit && nsize > old && h->used - old + nsize > h->limit) {
        if (retrying && h->stop == RELAIS_STOP_NONE) h->stop = RELAIS_STOP_MEMORY;
        h->refusal_pending = 1;
        h->refused_block = ptr;
        h->refused_size = nsize;
        // Reading the running thread's stack allocates nothing; it names the line for the
        // message, since a memory error reaches the host without passing any handler.
        if (h->current && h->stop == RELAIS_STOP_NONE) record_script_location(h->current, h, 0);
        return NULL;
    }
    void *block = ptr ? realloc(ptr, nsize) : malloc(nsize);
    if (!block) return NULL;
    h->refusal_pending = 0;
    h->used = h->used - old + nsize;
    if (h->used > h->peak) h->peak = h->used;
    return block;
}

// ---------------------------------------------------------------------------------------
// CPU: a count hook. It also notices a memory stop (the allocator cannot raise) and the
// exit request, and remembers where the script was, for messages.

static void compose_stop_message(relais_lua_host *h, const char *source, int line) {
    char where[LUA_IDSIZE + 24] = "";
    if (source && source[0] && line > 0) snprintf(where, sizeof where, "%s:%d: ", source, line);
    else if (source && source[0]) snprintf(where, sizeof where, "%s: ", source);
    switch (h->stop) {
    case RELAIS_STOP_CPU:
        if (h->stopped_by_time)
            snprintf(h->stop_message, MESSAGE_SIZE,
                     "%sinstruction limit exceeded (%.1f s, the time %lld instructions may take)", where,
                     (double)h->instruction_limit * SECONDS_PER_INSTRUCTION, h->instruction_limit);
        else
            snprintf(h->stop_message, MESSAGE_SIZE, "%sinstruction limit exceeded (%lld instructions)", where,
                     h->instruction_limit);
        break;
    case RELAIS_STOP_MEMORY:
        if (h->limit % (1024 * 1024) == 0)
            snprintf(h->stop_message, MESSAGE_SIZE, "%smemory limit exceeded (%zu MiB)", where, h->limit >> 20);
        else
            snprintf(h->stop_message, MESSAGE_SIZE, "%smemory limit exceeded (%zu bytes)", where, h->limit);
        break;
    case RELAIS_STOP_EXIT:
        snprintf(h->stop_message, MESSAGE_SIZE, "exit %d", h->exit_status);
        break;
    default:
        h->stop_message[0] = 0;
    }
}

// Records the innermost frame that belongs to the script (not the host prelude, not C).
static void record_script_location(lua_State *L, relais_lua_host *h, int first_level) {
    lua_Debug ar;
    for (int level = first_level; level < first_level + 16 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, "=relais") != 0) {
            memcpy(h->last_source, ar.short_src, sizeof h->last_source);
            h->last_line = ar.currentline;
            return;
        }
    }
}

static void relais_hook(lua_State *L, lua_Debug *ar) {
    relais_lua_host *h = host_of(L);
    int period = lua_gethookcount(L);
    h->instructions += period > 0 ? period : 1;
    // Once stopped, keep the place where the stop happened.
    if (h->stop == RELAIS_STOP_NONE) {
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0 && strcmp(ar->source, "=relais") != 0) {
            memcpy(h->last_source, ar->short_src, sizeof h->last_source);
            h->last_line = ar->currentline;
        } else {
            record_script_location(L, h, 0);
        }
    }

    if (h->stop == RELAIS_STOP_NONE && h->instruction_limit > 0 && h->instructions > h->instruction_limit)
        h->stop = RELAIS_STOP_CPU;
    if (h->stop == RELAIS_STOP_NONE && h->instruction_limit > 0) {
        struct timespec now;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        double seconds = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
        if (h->clock_started == 0) {
            h->clock_started = seconds;
        } else if (seconds - h->clock_started > (double)h->instruction_limit * SECONDS_PER_INSTRUCTION) {
            h->stop = RELAIS_STOP_CPU;
            h->stopped_by_time = 1;
        }
    }
    if (h->stop == RELAIS_STOP_NONE) return;
    if (!h->stop_message[0]) compose_stop_message(h, h->last_source, h->last_line);
    // From now on raise at every instruction: a pcall that swallows this error gets it
    // again on its next instruction, until the host has control back.
    lua_sethook(L, relais_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, h->stop_message);
    lua_error(L);
}

static void raise_stop(lua_State *L, relais_lua_host *h) {
    if (!h->stop_message[0]) compose_stop_message(h, h->last_source, h->last_line);
    lua_sethook(L, relais_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, h->stop_message);
    lua_error(L);
}

// Work done inside one C call (pattern matching) counts like instructions.
void relais_lua_charge_instructions(lua_State *L, long long count) {
    relais_lua_host *h = host_of(L);
    h->instructions += count;
    if (h->stop == RELAIS_STOP_NONE && h->instruction_limit > 0 && h->instructions > h->instruction_limit) {
        record_script_location(L, h, 1);
        h->stop = RELAIS_STOP_CPU;
    }
    if (h->stop == RELAIS_STOP_NONE) return;
    raise_stop(L, h);
}

// ---------------------------------------------------------------------------------------
// Error messages: a handler that adds a short traceback and never runs script code (no
// __tostring), so an error object that is a table, nil or a bomb cannot hurt.

// Whether a message already starts with "file:LINE:".
static int has_location(const char *message) {
    const char *colon = strchr(message, ':');
    if (!colon || colon == message || memchr(message, '\n', (size_t)(colon - message))) return 0;
    const char *digit = colon + 1;
    if (*digit < '0' || *digit > '9') return 0;
    while (*digit >= '0' && *digit <= '9') digit++;
    return *digit == ':';
}

static int message_handler(lua_State *L) {
    relais_lua_host *h = host_of(L);
    const char *message;
    if (h->stop != RELAIS_STOP_NONE) {
        if (!h->stop_message[0]) compose_stop_message(h, h->last_source, h->last_line);
        message = h->stop_message;
    } else {
        if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
            message = lua_tostring(L, 1);
        } else {
            message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
        // Errors raised inside the host prelude, by C or with a non-string value carry no
        // script location (or the prelude's): name the script's innermost line instead.
        int from_prelude = strncmp(message, "relais:", 7) == 0 && has_location(message);
        if (from_prelude || !has_location(message)) {
            if (from_prelude) {
                message = strchr(message + 7, ':') + 1;
                while (*message == ' ') message++;
            }
            lua_Debug ar;
            for (int level = 1; level < 24 && lua_getstack(L, level, &ar); level++) {
                if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, "=relais") != 0) {
                    message = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, message);
                    break;
                }
            }
        }
    }
    luaL_traceback(L, L, message, 1);
    return 1;
}

static void keep_error_message(lua_State *L, relais_lua_host *h, int status) {
    free(h->error_message);
    h->error_message = NULL;
    const char *text = NULL;
    if (h->stop != RELAIS_STOP_NONE) {
        if (!h->stop_message[0]) compose_stop_message(h, h->last_source, h->last_line);
        if (h->stop != RELAIS_STOP_EXIT) text = h->stop_message;
    }
    if (!text && status == LUA_ERRMEM) {
        // A refusal the retry could not fix: the budget is spent.
        h->stop = RELAIS_STOP_MEMORY;
        compose_stop_message(h, h->last_source, h->last_line);
        text = h->stop_message;
    }
    if (!text) {
        if (status == LUA_ERRMEM) text = "not enough memory";
        else if (lua_type(L, -1) == LUA_TSTRING) text = lua_tostring(L, -1);
        else text = "(error object is not a string)";
    }
    // An error message is shown on a terminal or kept in the outbox's failure: a script's
    // megabytes-long error is cut, at a character boundary.
    if (!text) text = "";
    size_t length = strlen(text);
    if (length <= MAX_ERROR_MESSAGE) {
        h->error_message = strdup(text);
        return;
    }
    size_t cut = MAX_ERROR_MESSAGE;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--;
    char tail[64];
    snprintf(tail, sizeof tail, "… (message cut: %zu bytes)", length);
    h->error_message = malloc(cut + strlen(tail) + 1);
    if (!h->error_message) return;
    memcpy(h->error_message, text, cut);
    strcpy(h->error_message + cut, tail);
}

// ---------------------------------------------------------------------------------------
// Scratch space for values copied out to Swift.

static const char *scratch_copy(relais_lua_host *h, size_t *offset, const char *bytes, size_t length) {
    // Returns NULL when out of (process) memory; callers treat that as an error.
    if (*offset + length + 1 > h->scratch_capacity) {
        size_t capacity = h->scratch_capacity ? h->scratch_capacity : 4096;
        while (capacity < *offset + length + 1) capacity *= 2;
        char *grown = realloc(h->scratch, capacity);
        if (!grown) return NULL;
        h->scratch = grown;
        h->scratch_capacity = capacity;
    }
    char *target = h->scratch + *offset;
    if (length) memcpy(target, bytes, length);
    target[length] = 0;
    *offset += length + 1;
    return target;
}

// Reads a Lua value into a plain value without raising; strings stay owned by Lua and
// are valid while the value is on the stack.
static void read_value(lua_State *L, int index, relais_lua_value *value) {
    memset(value, 0, sizeof *value);
    switch (lua_type(L, index)) {
    case LUA_TNIL:
    case LUA_TNONE:
        value->type = RELAIS_VALUE_NIL;
        break;
    case LUA_TBOOLEAN:
        value->type = RELAIS_VALUE_BOOLEAN;
        value->boolean = lua_toboolean(L, index);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) {
            value->type = RELAIS_VALUE_INTEGER;
            value->integer = lua_tointeger(L, index);
            value->number = (double)value->integer;
        } else {
            value->type = RELAIS_VALUE_NUMBER;
            value->number = lua_tonumber(L, index);
        }
        break;
    case LUA_TSTRING:
        value->type = RELAIS_VALUE_STRING;
        value->bytes = lua_tolstring(L, index, &value->length);
        break;
    default:
        value->type = RELAIS_VALUE_OTHER;
        value->bytes = lua_typename(L, lua_type(L, index));
        value->length = strlen(value->bytes);
    }
}

// ---------------------------------------------------------------------------------------
// Event views: a full userdata holding a copy of the event blob, so a view stays valid as
// long as the script keeps it, is charged to the script's memory budget, and needs no
// finalizer. Fields are converted only when read.

static const char *const field_names[RELAIS_EVENT_FIELDS] = {
    "id", "title", "kind", "status", "slots", "region", "online", "lab", "organizer", "place",
    "url", "contact", "audience", "tags", "description",
};
#define EVENT_VIEW "relais.event"

static int32_t blob_length_at(const unsigned char *blob, int field) {
    int32_t length;
    memcpy(&length, blob + 4 * field, 4);
    return length;
}

static const char *blob_field(const unsigned char *blob, int field, int32_t *length) {
    size_t offset = 4 * RELAIS_EVENT_FIELDS;
    for (int index = 0; index < field; index++) {
        int32_t l = blob_length_at(blob, index);
        if (l > 0) offset += (size_t)l;
    }
    *length = blob_length_at(blob, field);
    return (const char *)blob + offset;
}

static const unsigned char field_name_lengths[RELAIS_EVENT_FIELDS] = {2, 5, 4, 6, 5, 6, 6, 3, 9, 5, 3, 7, 8, 4, 11};

// The hot path of every filter (`e.region`): compare lengths and first bytes before the rest.
static int field_index(const char *key, size_t length) {
    for (int index = 0; index < RELAIS_EVENT_FIELDS; index++)
        if (field_name_lengths[index] == length && field_names[index][0] == key[0] &&
            memcmp(field_names[index], key, length) == 0)
            return index;
    return -1;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads the four hex digits at bytes[*at]; -1 when they are not there.
static long read_hex4(const char *bytes, int32_t length, int32_t *at) {
    if (length - *at < 4) return -1;
    long value = 0;
    for (int index = 0; index < 4; index++) {
        int digit = hex_digit(bytes[*at + index]);
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    *at += 4;
    return value;
}

static void add_utf8(luaL_Buffer *buffer, unsigned long code) {
    char out[4];
    int count;
    if (code < 0x80) { out[0] = (char)code; count = 1; }
    else if (code < 0x800) { out[0] = (char)(0xC0 | (code >> 6)); out[1] = (char)(0x80 | (code & 0x3F)); count = 2; }
    else if (code < 0x10000) {
        out[0] = (char)(0xE0 | (code >> 12)); out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F)); count = 3;
    } else {
        out[0] = (char)(0xF0 | (code >> 18)); out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((code >> 6) & 0x3F)); out[3] = (char)(0x80 | (code & 0x3F)); count = 4;
    }
    luaL_addlstring(buffer, out, (size_t)count);
}

// Pushes the JSON string literal starting at bytes[*at] (just after its opening quote)
// and moves *at past its closing quote. Returns 0 (nothing pushed) when it is malformed.
static int push_json_string(lua_State *L, const char *bytes, int32_t length, int32_t *at) {
    int32_t start = *at, scan = *at;
    while (scan < length && bytes[scan] != '"' && bytes[scan] != '\\') scan++;
    if (scan >= length) return 0;
    if (bytes[scan] == '"') {  // the common case: no escapes
        lua_pushlstring(L, bytes + start, (size_t)(scan - start));
        *at = scan + 1;
        return 1;
    }
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    luaL_addlstring(&buffer, bytes + start, (size_t)(scan - start));
    int32_t i = scan;
    while (i < length && bytes[i] != '"') {
        if (bytes[i] != '\\') { luaL_addchar(&buffer, bytes[i]); i++; continue; }
        if (++i >= length) break;
        char escape = bytes[i++];
        switch (escape) {
        case '"': case '\\': case '/': luaL_addchar(&buffer, escape); break;
        case 'b': luaL_addchar(&buffer, '\b'); break;
        case 'f': luaL_addchar(&buffer, '\f'); break;
        case 'n': luaL_addchar(&buffer, '\n'); break;
        case 'r': luaL_addchar(&buffer, '\r'); break;
        case 't': luaL_addchar(&buffer, '\t'); break;
        case 'u': {
            long code = read_hex4(bytes, length, &i);
            if (code < 0) { luaL_pushresult(&buffer); lua_pop(L, 1); return 0; }
            if (code >= 0xD800 && code < 0xDC00 && length - i >= 6 && bytes[i] == '\\' && bytes[i + 1] == 'u') {
                int32_t low_at = i + 2;
                long low = read_hex4(bytes, length, &low_at);
                if (low >= 0xDC00 && low < 0xE000) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    i = low_at;
                }
            }
            if (code >= 0xD800 && code < 0xE000) code = 0xFFFD;  // a lone surrogate
            add_utf8(&buffer, (unsigned long)code);
            break;
        }
        default: luaL_pushresult(&buffer); lua_pop(L, 1); return 0;
        }
    }
    luaL_pushresult(&buffer);
    if (i >= length) { lua_pop(L, 1); return 0; }
    *at = i + 1;
    return 1;
}

static int32_t skip_json_space(const char *bytes, int32_t length, int32_t at) {
    while (at < length && (bytes[at] == ' ' || bytes[at] == '\t' || bytes[at] == '\n' || bytes[at] == '\r')) at++;
    return at;
}

// Pushes a list field, a JSON array of strings, as a Lua list. A damaged array (a
// catalogue edited by hand) gives the items before the damage.
static void push_list(lua_State *L, const char *bytes, int32_t length) {
    lua_createtable(L, 4, 0);
    int n = 0;
    int32_t at = skip_json_space(bytes, length, 0);
    if (at >= length || bytes[at] != '[') return;
    at = skip_json_space(bytes, length, at + 1);
    while (at < length && bytes[at] == '"') {
        at++;
        if (!push_json_string(L, bytes, length, &at)) return;
        lua_rawseti(L, -2, ++n);
        at = skip_json_space(bytes, length, at);
        if (at >= length || bytes[at] != ',') return;
        at = skip_json_space(bytes, length, at + 1);
    }
}

// Pushes the slots, `start` or `start/end` joined by `;`, as a list of {start=, end=}.
static void push_slots(lua_State *L, const char *bytes, int32_t length) {
    lua_createtable(L, 2, 0);
    int n = 0;
    int32_t at = 0;
    while (at < length) {
        int32_t stop = at;
        while (stop < length && bytes[stop] != ';') stop++;
        int32_t slash = at;
        while (slash < stop && bytes[slash] != '/') slash++;
        lua_createtable(L, 0, 2);
        lua_pushlstring(L, bytes + at, (size_t)(slash - at));
        lua_setfield(L, -2, "start");
        if (slash < stop) {
            lua_pushlstring(L, bytes + slash + 1, (size_t)(stop - slash - 1));
            lua_setfield(L, -2, "end");
        }
        lua_rawseti(L, -2, ++n);
        at = stop + 1;
    }
}

// Pushes `field` as Lua sees it, from its stored text (`length` -1: absent).
static void push_field_text(lua_State *L, int field, const char *bytes, int32_t length) {
    if (length < 0) {
        if (field == RELAIS_FIELD_AUDIENCE || field == RELAIS_FIELD_TAGS) lua_createtable(L, 0, 0);
        else lua_pushnil(L);
        return;
    }
    switch (field) {
    case RELAIS_FIELD_ONLINE:
        lua_pushboolean(L, length == 1 && bytes[0] == '1');
        break;
    case RELAIS_FIELD_SLOTS:
        push_slots(L, bytes, length);
        break;
    case RELAIS_FIELD_AUDIENCE:
    case RELAIS_FIELD_TAGS:
        if (length == 0) lua_createtable(L, 0, 0);
        else push_list(L, bytes, length);
        break;
    default:
        lua_pushlstring(L, bytes, (size_t)length);
    }
}

static void push_field(lua_State *L, const unsigned char *blob, int field) {
    int32_t length;
    const char *bytes = blob_field(blob, field, &length);
    push_field_text(L, field, bytes, length);
}

// A batch of events lent by a store for a filter (`relais_lua_filter_batch`). Its rows
// are at most 256 for light views (LIGHT_ROWS; SQLiteCatalogue lends 256 at a time):
// rows past that get copied views.
typedef struct filter_batch_request {
    const char *name;
    const void *const *field_bases;
    const size_t *field_counts;
    uint32_t unlent;
    int lender;
    const long long *references;
    size_t count;
    unsigned char *results;
    size_t done;
} filter_batch_request;

// A view is a full userdata: a header, then the event's blob. A view made from fields a
// store lent only in part (see EventFieldTexts) names the fields it lacks in `unlent`; the
// first read of one asks Swift for the whole event (the host's loader), whose full view is
// then kept as the view's user value.
typedef struct {
    uint32_t unlent;
    int32_t lender;
    long long reference;
} view_header;

// A light view is an event of the batch being filtered given to the filter as a light
// userdata, which packs the event's row key, its lender and its row in the batch: making
// one allocates nothing and leaves nothing to collect (a full userdata per event, with its
// collection, was a third of a simple filter's work). While its batch is being filtered it
// reads the fields the batch lends; afterwards (a script may keep it), or for a field the
// batch did not lend, it reads the whole event through the loader by its key, which names
// the event for good: a catalogue never removes an event or reuses a key. Light userdata
// share one metatable per state, the views' one: a script is never given any other.
#define LIGHT_ROWS 256
#define LIGHT_LENDERS 256
#define LIGHT_KEY_LIMIT (1LL << 47)

// Which view a value is: `full` for a userdata view, else a light one.
typedef struct {
    view_header *full;
    long long reference;
    int lender;
    size_t row;
} view_ref;

static int light_view_fits(int lender, long long reference, size_t row) {
    return sizeof(uintptr_t) >= 8 && lender >= 0 && lender < LIGHT_LENDERS && reference > 0 &&
           reference < LIGHT_KEY_LIMIT && row < LIGHT_ROWS;
}

static void *pack_light_view(int lender, long long reference, size_t row) {
    return (void *)(uintptr_t)(((unsigned long long)reference << 16) | ((unsigned long long)lender << 8) | row);
}

static view_ref unpack_light_view(const void *packed) {
    unsigned long long bits = (unsigned long long)(uintptr_t)packed;
    view_ref ref = {NULL, (long long)(bits >> 16), (int)((bits >> 8) & 0xff), (size_t)(bits & 0xff)};
    return ref;
}

// The batch a light view came from while that batch is being filtered, else NULL.
static const filter_batch_request *light_view_batch(relais_lua_host *h, view_ref ref) {
    const filter_batch_request *batch = h->batch;
    if (batch && ref.row < batch->count && batch->lender == ref.lender && batch->references[ref.row] == ref.reference)
        return batch;
    return NULL;
}

static const unsigned char *view_blob(view_header *view) { return (const unsigned char *)(view + 1); }

static void set_view_metatable(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, host_of(L)->view_metatable_ref);
    lua_setmetatable(L, -2);
}

// The view at `index`, or a Lua error when the value there is not one.
static view_ref check_view(lua_State *L, int index) {
    int type = lua_type(L, index);
    if (type == LUA_TLIGHTUSERDATA) return unpack_light_view(lua_touserdata(L, index));
    view_header *view = type == LUA_TUSERDATA ? lua_touserdata(L, index) : NULL;
    if (view && lua_getmetatable(L, index)) {
        int same = lua_topointer(L, -1) == host_of(L)->view_metatable;
        lua_pop(L, 1);
        if (same) {
            view_ref ref = {view, view->reference, view->lender, 0};
            return ref;
        }
    }
    luaL_typeerror(L, index, "event");
    view_ref none = {NULL, 0, -1, 0};
    return none;
}

static void push_script_where(lua_State *L);
static void push_value(lua_State *L, const relais_lua_value *value);

// Pushes how messages name a lent event: `event 'ID'` (the id is not NUL-terminated), or
// `event #KEY` for a light view, which knows only its key.
static void push_event_name(lua_State *L, const char *id, int32_t id_length, long long reference) {
    if (id) {
        lua_pushliteral(L, "event '");
        if (id_length > 0) lua_pushlstring(L, id, (size_t)id_length);
        else lua_pushliteral(L, "?");
        lua_pushliteral(L, "'");
        lua_concat(L, 3);
    } else {
        lua_pushfstring(L, "event #%I", (lua_Integer)reference);
    }
}

// Pushes the whole event that `lender` lent with `reference` (and `id`, when known), as a
// full view, through the host's loader; raises when it cannot be read.
static void push_loaded_event(lua_State *L, int lender, long long reference, const char *id, int32_t id_length) {
    relais_lua_host *h = host_of(L);
    relais_lua_value arguments[3];
    memset(arguments, 0, sizeof arguments);
    arguments[0].type = RELAIS_VALUE_INTEGER;
    arguments[0].integer = lender;
    arguments[1].type = RELAIS_VALUE_INTEGER;
    arguments[1].integer = reference;
    arguments[2].type = RELAIS_VALUE_STRING;
    arguments[2].bytes = id;
    arguments[2].length = id && id_length > 0 ? (size_t)id_length : 0;
    relais_lua_results results;
    memset(&results, 0, sizeof results);
    if (h->loader_function < 0) {
        push_script_where(L);
        push_event_name(L, id, id_length, reference);
        lua_pushliteral(L, ": its other fields cannot be read here");
        lua_concat(L, 3);
        lua_error(L);
        return;
    }
    // As in the trampoline: Swift's frame ends before anything here can raise.
    h->swift(h->context, h->loader_function, arguments, id ? 3 : 2, &results);
    int loaded = !results.failed && results.count >= 1 && results.values[0].type == RELAIS_VALUE_EVENT;
    if (loaded) {
        push_value(L, &results.values[0]);
        // An event's blob becomes a full view; anything else (a blob too short) is nil.
        if (lua_type(L, -1) == LUA_TUSERDATA) return;
        lua_pop(L, 1);
    }
    push_script_where(L);
    if (results.failed && results.count > 0 && results.values[0].type == RELAIS_VALUE_STRING) {
        push_value(L, &results.values[0]);
    } else {
        push_event_name(L, id, id_length, reference);
        lua_pushstring(L, loaded ? " could not be read from the catalogue" : " is no longer in the catalogue");
        lua_concat(L, 2);
    }
    lua_concat(L, 2);
    lua_error(L);
}

// Empties the light views' one-event cache. The cached event is as of the listing or call
// that loaded it: an import may change its row since, so a view kept past them loads its
// event again. (luaL_unref only overwrites slots the registry already has: nothing raises.)
static void drop_light_cache(lua_State *L, relais_lua_host *h) {
    luaL_unref(L, LUA_REGISTRYINDEX, h->light_full_ref);
    h->light_full_ref = LUA_NOREF;
}

// The blob of the whole event of `ref`, loaded the first time and kept: by the partial
// view's user value, or for a light view in the host's one-event cache. What it points to
// stays valid until the next load, so nothing is left on the stack.
static const unsigned char *full_view_blob(lua_State *L, view_ref ref, int index) {
    relais_lua_host *h = host_of(L);
    if (ref.full) {
        index = lua_absindex(L, index);
        if (lua_getiuservalue(L, index, 1) != LUA_TUSERDATA) {
            lua_pop(L, 1);
            int32_t id_length;
            const char *id = blob_field(view_blob(ref.full), RELAIS_FIELD_ID, &id_length);
            push_loaded_event(L, ref.lender, ref.reference, id, id_length);
            lua_pushvalue(L, -1);
            lua_setiuservalue(L, index, 1);
        }
    } else if (h->light_full_ref != LUA_NOREF && h->light_full_reference == ref.reference &&
               h->light_full_lender == ref.lender) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->light_full_ref);
    } else {
        push_loaded_event(L, ref.lender, ref.reference, NULL, 0);
        drop_light_cache(L, h);
        lua_pushvalue(L, -1);
        h->light_full_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        h->light_full_reference = ref.reference;
        h->light_full_lender = ref.lender;
    }
    const unsigned char *blob = view_blob(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return blob;
}

// The text of `field` for the view `ref` at `index` (`length` -1: absent): from the batch
// a light view comes from while that batch is being tested, else from the view's own blob
// or, for a field it lacks, from its whole event.
static const char *view_field(lua_State *L, view_ref ref, int index, int field, int32_t *length) {
    relais_lua_host *h = host_of(L);
    h->fields_read |= 1u << field;
    if (ref.full) {
        if (!(ref.full->unlent & (1u << field))) return blob_field(view_blob(ref.full), field, length);
    } else {
        const filter_batch_request *batch = light_view_batch(h, ref);
        if (batch && !(batch->unlent & (1u << field))) {
            size_t slot = ref.row * RELAIS_EVENT_FIELDS + (size_t)field;
            const void *base = batch->field_bases[slot];
            if (base && batch->field_counts[slot] > INT32_MAX)
                luaL_error(L, "event field '%s' is too large", field_names[field]);
            *length = base ? (int32_t)batch->field_counts[slot] : -1;
            return base;
        }
    }
    return blob_field(full_view_blob(L, ref, index), field, length);
}

static int view_index(lua_State *L) {
    view_ref ref = check_view(L, 1);
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    size_t length;
    const char *key = lua_tolstring(L, 2, &length);
    int field = field_index(key, length);
    if (field < 0) return 0;
    int32_t text_length;
    const char *text = view_field(L, ref, 1, field, &text_length);
    push_field_text(L, field, text, text_length);
    return 1;
}

static int view_newindex(lua_State *L) {
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "events are read-only (cannot set field '%s')", key);
}

static int view_tostring(lua_State *L) {
    view_ref ref = check_view(L, 1);
    int32_t length;
    const char *id = view_field(L, ref, 1, RELAIS_FIELD_ID, &length);
    lua_pushliteral(L, "event ");
    lua_pushlstring(L, id, length > 0 ? (size_t)length : 0);
    lua_concat(L, 2);
    return 1;
}

// pairs(view): the present fields, in the interchange order.
static int view_next(lua_State *L) {
    view_ref ref = check_view(L, 1);
    int field = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t length;
        const char *key = lua_tolstring(L, 2, &length);
        field = field_index(key, length) + 1;
        if (field <= 0) return 0;
    }
    for (; field < RELAIS_EVENT_FIELDS; field++) {
        int32_t length;
        const char *text = view_field(L, ref, 1, field, &length);
        if (length >= 0) {
            lua_pushstring(L, field_names[field]);
            push_field_text(L, field, text, length);
            return 2;
        }
    }
    return 0;
}

static int view_pairs(lua_State *L) {
    check_view(L, 1);
    lua_pushcfunction(L, view_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static void push_view(lua_State *L, const void *blob, size_t length) {
    view_header *view = lua_newuserdatauv(L, sizeof(view_header) + length, 0);
    memset(view, 0, sizeof *view);
    view->lender = -1;
    memcpy(view + 1, blob, length);
    set_view_metatable(L);
}

// A view of an event's fields lent by a store, copied into its own blob, since a script
// may keep the view after the store has moved on.
static void push_view_fields(lua_State *L, const void *const *bases, const size_t *counts, uint32_t unlent,
                             int lender, long long reference) {
    size_t size = 4 * RELAIS_EVENT_FIELDS;
    for (int field = 0; field < RELAIS_EVENT_FIELDS; field++) {
        if (!bases[field]) continue;
        if (counts[field] > INT32_MAX || size > SIZE_MAX - sizeof(view_header) - counts[field])
            luaL_error(L, "event field '%s' is too large", field_names[field]);
        size += counts[field];
    }
    if (lender < 0 || !bases[RELAIS_FIELD_ID]) unlent = 0;
    view_header *view = lua_newuserdatauv(L, sizeof(view_header) + size, unlent ? 1 : 0);
    memset(view, 0, sizeof *view);
    view->unlent = unlent;
    view->lender = lender;
    view->reference = reference;
    unsigned char *blob = (unsigned char *)(view + 1);
    size_t offset = 4 * RELAIS_EVENT_FIELDS;
    for (int field = 0; field < RELAIS_EVENT_FIELDS; field++) {
        int32_t length = bases[field] ? (int32_t)counts[field] : -1;
        memcpy(blob + 4 * field, &length, 4);
        if (length > 0) {
            memcpy(blob + offset, bases[field], counts[field]);
            offset += counts[field];
        }
    }
    set_view_metatable(L);
}

// The view of row `index` of the batch being filtered: light when it fits, else copied.
static void push_batch_view(lua_State *L, const filter_batch_request *request, size_t index) {
    long long reference = request->references[index];
    if (light_view_fits(request->lender, reference, index)) {
        lua_pushlightuserdata(L, pack_light_view(request->lender, reference, index));
        return;
    }
    push_view_fields(L, request->field_bases + index * RELAIS_EVENT_FIELDS,
                     request->field_counts + index * RELAIS_EVENT_FIELDS, request->unlent, request->lender, reference);
}

// The eager alternative, kept for the benchmark: a plain table with every field.
static void push_event_table(lua_State *L, const void *blob) {
    lua_createtable(L, 0, RELAIS_EVENT_FIELDS);
    for (int field = 0; field < RELAIS_EVENT_FIELDS; field++) {
        push_field(L, blob, field);
        lua_setfield(L, -2, field_names[field]);
    }
}

static void create_view_metatable(lua_State *L) {
    luaL_newmetatable(L, EVENT_VIEW);
    lua_pushcfunction(L, view_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, view_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, view_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, view_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "read-only event");
    lua_setfield(L, -2, "__metatable");
    host_of(L)->view_metatable = lua_topointer(L, -1);
    // Light views (see above) share the metatable of every light userdata of the state.
    lua_pushlightuserdata(L, NULL);
    lua_pushvalue(L, -2);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    // Kept by reference: looking it up by name would hash a string per event.
    host_of(L)->view_metatable_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static void push_value(lua_State *L, const relais_lua_value *value) {
    switch (value->type) {
    case RELAIS_VALUE_BOOLEAN: lua_pushboolean(L, value->boolean); break;
    case RELAIS_VALUE_INTEGER: lua_pushinteger(L, (lua_Integer)value->integer); break;
    case RELAIS_VALUE_NUMBER: lua_pushnumber(L, value->number); break;
    case RELAIS_VALUE_STRING: lua_pushlstring(L, value->bytes ? value->bytes : "", value->length); break;
    case RELAIS_VALUE_EVENT:
        if (value->bytes && value->length >= 4 * RELAIS_EVENT_FIELDS) push_view(L, value->bytes, value->length);
        else lua_pushnil(L);
        break;
    default: lua_pushnil(L);
    }
}

// ---------------------------------------------------------------------------------------
// Locations: errors point at the script's line, never at the host prelude ("=relais").

static void push_script_where(lua_State *L) {
    lua_Debug ar;
    for (int level = 1; level < 16 && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar)) break;
        if (strcmp(ar.source, "=relais") == 0 || ar.currentline <= 0) continue;
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
        return;
    }
    lua_pushliteral(L, "");
}

// __relais_where(): the prelude's way to name the script's line in its own errors.
static int script_where(lua_State *L) {
    push_script_where(L);
    return 1;
}

// ---------------------------------------------------------------------------------------
// The trampoline: Lua → C → Swift → C. Swift returns a status; this frame raises.

static int trampoline(lua_State *L) {
    relais_lua_host *h = host_of(L);
    int function_id = (int)lua_tointeger(L, lua_upvalueindex(1));
    int count = lua_gettop(L);
    if (count > RELAIS_LUA_MAX_VALUES) return luaL_error(L, "too many arguments (at most %d)", RELAIS_LUA_MAX_VALUES);
    relais_lua_value arguments[RELAIS_LUA_MAX_VALUES];
    for (int index = 0; index < count; index++) read_value(L, index + 1, &arguments[index]);
    relais_lua_results results;
    memset(&results, 0, sizeof results);
    // Swift's frame begins and ends inside this call; nothing in it can raise.
    h->swift(h->context, function_id, arguments, count, &results);
    if (results.count < 0 || results.count > RELAIS_LUA_MAX_VALUES) results.count = 0;
    if (results.failed) {
        if (results.count > 0 && results.values[0].type == RELAIS_VALUE_STRING) {
            push_script_where(L);
            push_value(L, &results.values[0]);
            lua_concat(L, 2);
        } else {
            lua_pushliteral(L, "error in a relais function");
        }
        return lua_error(L);
    }
    if (!lua_checkstack(L, results.count)) return luaL_error(L, "stack overflow");
    for (int index = 0; index < results.count; index++) push_value(L, &results.values[index]);
    return results.count;
}

// ---------------------------------------------------------------------------------------
// Sandbox replacements.

static int sandbox_setmetatable(lua_State *L) {
    // Finalizers run with hooks off, so a __gc loop could never be stopped: refuse them.
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "setmetatable: __gc metamethods are not allowed");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sandbox_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "collect");
    if (strcmp(option, "count") != 0) return luaL_error(L, "collectgarbage: only \"count\" is allowed");
    lua_pushnumber(L, (lua_Number)host_of(L)->used / 1024.0);
    return 1;
}

static int sandbox_load(lua_State *L) {
    // Text chunks only: a binary chunk can crash the VM.
    int count = lua_gettop(L);
    if (count >= 3 && !lua_isnoneornil(L, 3)) {
        const char *mode = lua_tostring(L, 3);
        if (!mode || !strchr(mode, 't')) return luaL_error(L, "load: only text chunks are allowed (mode \"t\")");
    }
    lua_settop(L, count < 4 ? 4 : count);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (count >= 4) lua_pushvalue(L, 4);
    lua_call(L, count >= 4 ? 4 : 3, LUA_MULTRET);
    return lua_gettop(L) - (count < 4 ? 4 : count);
}

static int sandbox_rep(lua_State *L) {
    // string.rep runs in one C call with no hook: check its size against the budget first.
    relais_lua_host *h = host_of(L);
    size_t length, separator_length = 0;
    luaL_checklstring(L, 1, &length);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator_length);
    if (n <= 0 || length + separator_length == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (h->limit) {
        double total = (double)n * (double)(length + separator_length);
        double available = (double)(h->limit > h->used ? h->limit - h->used : 0);
        if (total > available) {
            // Garbage does not count: collect before deciding the budget is spent.
            lua_gc(L, LUA_GCCOLLECT);
            available = (double)(h->limit > h->used ? h->limit - h->used : 0);
        }
        if (total > available) {
            h->stop = RELAIS_STOP_MEMORY;
            record_script_location(L, h, 1);
            compose_stop_message(h, h->last_source, h->last_line);
            lua_sethook(L, relais_hook, LUA_MASKCOUNT, 1);
            lua_pushstring(L, h->stop_message);
            return lua_error(L);
        }
    }
    // The copy loop writes every byte inside one C call: charge it like instructions.
    double copied = (double)n * (double)(length + separator_length) / 64 + 1;
    relais_lua_charge_instructions(L, copied > 1e15 ? (long long)1e15 : (long long)copied);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// Library functions that loop in C (no hook runs inside them) are charged for their loop
// before they run. Upvalue 1 is the original function, upvalue 2 says how to price it.
enum { COST_COROUTINE, COST_SHIFT, COST_RANGE_MOVE, COST_RANGE_CONCAT, COST_SORT, COST_UNPACK };

static double range_count(lua_State *L, int first_index, int last_index, double default_last) {
    double first = lua_isnoneornil(L, first_index) ? 1 : (double)lua_tonumber(L, first_index);
    double last = lua_isnoneornil(L, last_index) ? default_last : (double)lua_tonumber(L, last_index);
    return last >= first ? last - first + 1 : 0;
}

static int has_metatable(lua_State *L, int index) {
    if (!lua_getmetatable(L, index)) return 0;
    lua_pop(L, 1);
    return 1;
}

static int charged_library_call(lua_State *L) {
    int cost_kind = (int)lua_tointeger(L, lua_upvalueindex(2));
    // The length the library itself will use: a __len metamethod's answer, if any.
    double table_length = 0;
    if (lua_type(L, 1) == LUA_TTABLE) {
        if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL) {
            lua_pop(L, 1);
            table_length = (double)luaL_len(L, 1);
        } else {
            table_length = (double)lua_rawlen(L, 1);
        }
    }
    // A plain table's element costs the library a fraction of an instruction; through a
    // metatable each one may call a metamethod, which a C function answers unhooked.
    double per_element = has_metatable(L, 1) || (cost_kind == COST_RANGE_MOVE && has_metatable(L, 5)) ? 1 : 0.125;
    double cost = 1;
    switch (cost_kind) {
    case COST_COROUTINE: cost = HOOK_PERIOD; break;  // a new thread starts a fresh hook count
    case COST_SHIFT: cost = table_length * per_element + 1; break;
    case COST_RANGE_MOVE: cost = range_count(L, 2, 3, 0) * per_element + 1; break;
    case COST_RANGE_CONCAT: cost = range_count(L, 3, 4, table_length) * per_element + 1; break;
    case COST_SORT: cost = table_length * 16 * per_element + 1; break;
    case COST_UNPACK: cost = range_count(L, 2, 3, table_length) * per_element + 1; break;
    }
    relais_lua_charge_instructions(L, cost > 1e15 ? (long long)1e15 : (long long)cost);
    // Called in this frame rather than through lua_call, so that an argument error names
    // the function as the script called it ("bad argument #2 to 'insert'"). The library
    // functions charged have no upvalues of their own.
    lua_CFunction original = lua_tocfunction(L, lua_upvalueindex(1));
    if (!original) return luaL_error(L, "relais: a charged library function is missing");
    return original(L);
}

// coroutine.resume, keeping track of which thread runs (see relais_lua_host.current).
static int sandbox_resume(lua_State *L) {
    relais_lua_host *h = host_of(L);
    lua_State *previous = h->current;
    lua_State *thread = lua_tothread(L, 1);
    if (thread) h->current = thread;
    int count = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int status = lua_pcall(L, count, LUA_MULTRET, 0);
    h->current = previous;
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

static void charge_field(lua_State *L, int table, const char *name, int cost_kind) {
    lua_getfield(L, table, name);
    lua_pushinteger(L, cost_kind);
    lua_pushcclosure(L, charged_library_call, 2);
    lua_setfield(L, table, name);
}

static void copy_fields(lua_State *L, int from, int to, const char *const *names) {
    for (; *names; names++) {
        lua_getfield(L, from, *names);
        lua_setfield(L, to, *names);
    }
}

// Wraps the function at field `name` of table `table` in `wrapper`, keeping the original
// as the wrapper's upvalue.
static void wrap_field(lua_State *L, int table, const char *name, lua_CFunction wrapper) {
    lua_getfield(L, table, name);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, table, name);
}

static int build_sandbox(lua_State *L) {
    static const char *const base_names[] = {"assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
        "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
        "_VERSION", "load", "collectgarbage", NULL};
    static const char *const string_names[] = {"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower",
        "match", "rep", "reverse", "sub", "upper", "pack", "packsize", "unpack", NULL};
    static const char *const table_names[] = {"concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
    static const char *const math_names[] = {"abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
        "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "randomseed", "sin", "sqrt", "tan",
        "tointeger", "type", "ult", "acos", "asin", "atan", NULL};
    static const char *const utf8_names[] = {"char", "charpattern", "codepoint", "codes", "len", "offset", NULL};
    static const char *const coroutine_names[] = {"close", "create", "isyieldable", "resume", "running", "status",
        "wrap", "yield", NULL};
    static const char *const os_names[] = {"time", "date", "clock", "difftime", NULL};

    luaL_requiref(L, "_G", luaopen_base, 0);  // the full globals: never reachable by scripts
    int full = lua_gettop(L);
    luaL_requiref(L, "string", luaopen_string, 0);
    int string_lib = lua_gettop(L);
    luaL_requiref(L, "table", luaopen_table, 0);
    int table_lib = lua_gettop(L);
    luaL_requiref(L, "math", luaopen_math, 0);
    int math_lib = lua_gettop(L);
    luaL_requiref(L, "utf8", luaopen_utf8, 0);
    int utf8_lib = lua_gettop(L);
    luaL_requiref(L, "coroutine", luaopen_coroutine, 0);
    int coroutine_lib = lua_gettop(L);
    luaL_requiref(L, "os", luaopen_os, 0);
    int os_lib = lua_gettop(L);

    // The script's world, built from the allowlists above.
    lua_createtable(L, 0, 32);
    int env = lua_gettop(L);
    copy_fields(L, full, env, base_names);
    wrap_field(L, env, "setmetatable", sandbox_setmetatable);
    wrap_field(L, env, "load", sandbox_load);
    lua_pushcfunction(L, sandbox_collectgarbage);
    lua_setfield(L, env, "collectgarbage");
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    lua_pushcfunction(L, script_where);
    lua_setfield(L, env, "__relais_where");

    struct { const char *name; int from; const char *const *names; } libraries[] = {
        {"string", string_lib, string_names}, {"table", table_lib, table_names}, {"math", math_lib, math_names},
        {"utf8", utf8_lib, utf8_names}, {"coroutine", coroutine_lib, coroutine_names}, {"os", os_lib, os_names},
    };
    for (size_t index = 0; index < sizeof libraries / sizeof libraries[0]; index++) {
        lua_createtable(L, 0, 24);
        copy_fields(L, libraries[index].from, lua_gettop(L), libraries[index].names);
        lua_setfield(L, env, libraries[index].name);
    }
    lua_getfield(L, env, "string");
    int sandbox_string = lua_gettop(L);
    wrap_field(L, sandbox_string, "rep", sandbox_rep);
    relais_pattern_install(L, sandbox_string);
    lua_getfield(L, env, "table");
    int sandbox_table = lua_gettop(L);
    charge_field(L, sandbox_table, "insert", COST_SHIFT);
    charge_field(L, sandbox_table, "remove", COST_SHIFT);
    charge_field(L, sandbox_table, "move", COST_RANGE_MOVE);
    charge_field(L, sandbox_table, "concat", COST_RANGE_CONCAT);
    charge_field(L, sandbox_table, "sort", COST_SORT);
    charge_field(L, sandbox_table, "unpack", COST_UNPACK);
    lua_getfield(L, env, "coroutine");
    int sandbox_coroutine = lua_gettop(L);
    charge_field(L, sandbox_coroutine, "create", COST_COROUTINE);
    wrap_field(L, sandbox_coroutine, "resume", sandbox_resume);
    // coroutine.wrap is rebuilt in the prelude on top of create and resume.
    lua_pushnil(L);
    lua_setfield(L, sandbox_coroutine, "wrap");
    // Argument errors name functions found in the loaded-libraries table: list the
    // sandbox's own versions there too (that table is out of scripts' reach).
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, sandbox_string);
    lua_setfield(L, -2, "string");
    lua_pushvalue(L, sandbox_table);
    lua_setfield(L, -2, "table");
    lua_pushvalue(L, sandbox_coroutine);
    lua_setfield(L, -2, "coroutine");
    lua_pop(L, 3);
    // Strings' methods ("x"):upper() must see the sandbox's string table, not the full one
    // (which still has string.dump).
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, sandbox_string);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 3);

    create_view_metatable(L);

    // Chunks loaded from now on get the sandbox as _ENV.
    lua_pushvalue(L, env);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_settop(L, 0);
    return 0;
}

// ---------------------------------------------------------------------------------------
// Public API.

lua_State *relais_lua_open(size_t memory_limit, void *context, relais_lua_swift_function swift) {
    relais_lua_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->context = context;
    h->swift = swift;
    h->loader_function = -1;
    h->view_metatable_ref = LUA_NOREF;
    h->invoke_ref = LUA_NOREF;
    h->bad_filter_result_ref = LUA_NOREF;
    h->light_full_ref = LUA_NOREF;
    lua_State *L = lua_newstate(relais_alloc, h);
    if (!L) {
        free(h);
        return NULL;
    }
    lua_pushcfunction(L, build_sandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        free(h->scratch);
        free(h);
        return NULL;
    }
    // The budget applies to scripts, not to building their world.
    h->limit = memory_limit;
    return L;
}

void relais_lua_set_loader(lua_State *L, int function_id) { host_of(L)->loader_function = function_id; }

uint32_t relais_lua_fields_read(lua_State *L) { return host_of(L)->fields_read; }

void relais_lua_close(lua_State *L) {
    if (!L) return;
    relais_lua_host *h = host_of(L);
    h->limit = 0;
    lua_close(L);
    free(h->scratch);
    free(h->error_message);
    free(h);
}

size_t relais_lua_memory_used(lua_State *L) { return host_of(L)->used; }
size_t relais_lua_memory_peak(lua_State *L) { return host_of(L)->peak; }
void relais_lua_set_memory_limit(lua_State *L, size_t limit) { host_of(L)->limit = limit; }

void relais_lua_begin_call(lua_State *L, long long instruction_limit) {
    relais_lua_host *h = host_of(L);
    h->instructions = 0;
    h->instruction_limit = instruction_limit;
    h->clock_started = 0;
    h->stopped_by_time = 0;
    h->stop = RELAIS_STOP_NONE;
    h->stop_message[0] = 0;
    h->last_source[0] = 0;
    h->last_line = 0;
    h->refusal_pending = 0;
    h->current = L;
    // A view kept from an earlier call reads its event as of this one.
    drop_light_cache(L, h);
    lua_sethook(L, relais_hook, LUA_MASKCOUNT, HOOK_PERIOD);
}

long long relais_lua_instructions(lua_State *L) { return host_of(L)->instructions; }
relais_lua_stop relais_lua_stopped(lua_State *L) { return host_of(L)->stop; }
int relais_lua_exit_status(lua_State *L) { return host_of(L)->exit_status; }

const char *relais_lua_stop_message(lua_State *L) {
    relais_lua_host *h = host_of(L);
    if (h->stop != RELAIS_STOP_NONE && !h->stop_message[0]) compose_stop_message(h, h->last_source, h->last_line);
    return h->stop_message;
}

const char *relais_lua_error_message(lua_State *L) {
    relais_lua_host *h = host_of(L);
    return h->error_message ? h->error_message : "";
}

// relais.exit(n): a stop like the limits, so that pcall cannot swallow it.
static int exit_function(lua_State *L) {
    relais_lua_host *h = host_of(L);
    lua_Integer status = luaL_optinteger(L, 1, 0);
    if (status < 0 || status > 255) return luaL_error(L, "relais.exit: status must be 0–255");
    h->exit_status = (int)status;
    h->stop = RELAIS_STOP_EXIT;
    compose_stop_message(h, NULL, 0);
    lua_sethook(L, relais_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, h->stop_message);
    return lua_error(L);
}

typedef struct {
    const char *name;
    int function_id;
} register_request;

static int register_protected(lua_State *L) {
    register_request *request = lua_touserdata(L, 1);
    lua_pushglobaltable(L);
    const char *name = request->name;
    const char *dot;
    // Walk or create the tables of a dotted name.
    while ((dot = strchr(name, '.')) != NULL) {
        lua_pushlstring(L, name, (size_t)(dot - name));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, -5);
        }
        lua_remove(L, -2);
        lua_remove(L, -2);
        name = dot + 1;
    }
    if (request->function_id < 0) {
        lua_pushcfunction(L, exit_function);
    } else {
        lua_pushinteger(L, request->function_id);
        lua_pushcclosure(L, trampoline, 1);
    }
    lua_setfield(L, -2, name);
    return 0;
}

int relais_lua_register(lua_State *L, const char *name, int function_id) {
    register_request request = {name, function_id};
    lua_pushcfunction(L, register_protected);
    lua_pushlightuserdata(L, &request);
    int status = lua_pcall(L, 1, 0, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

// Copies the value on top of the stack into `result`, strings into scratch space.
static void copy_result(lua_State *L, relais_lua_host *h, relais_lua_value *result) {
    read_value(L, -1, result);
    if (result->type == RELAIS_VALUE_STRING || result->type == RELAIS_VALUE_OTHER) {
        size_t offset = 0;
        const char *copy = scratch_copy(h, &offset, result->bytes, result->length);
        result->bytes = copy ? copy : "";
        if (!copy) result->length = 0;
    }
}

static int finish_call(lua_State *L, relais_lua_host *h, int status, int base, relais_lua_value *result) {
    if (status != LUA_OK) {
        keep_error_message(L, h, status);
        if (result) memset(result, 0, sizeof *result);
    } else if (result) {
        copy_result(L, h, result);
    }
    lua_settop(L, base);
    // A stop that the script swallowed completely still counts.
    if (status == LUA_OK && h->stop != RELAIS_STOP_NONE) {
        keep_error_message(L, h, LUA_ERRRUN);
        status = LUA_ERRRUN;
    }
    lua_sethook(L, NULL, 0, 0);
    h->current = NULL;
    return status;
}

int relais_lua_run(lua_State *L, const char *source, size_t length, const char *chunkname, relais_lua_value *result) {
    relais_lua_host *h = host_of(L);
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    lua_pushcfunction(L, message_handler);
    int status = luaL_loadbufferx(L, source, length, chunkname, "t");
    if (status == LUA_OK) status = lua_pcall(L, 0, 1, base + 1);
    return finish_call(L, h, status, base, result);
}

typedef struct {
    const char *source;
    size_t length;
    const char *chunkname;
} prelude_request;

static int prelude_protected(lua_State *L) {
    prelude_request *request = lua_touserdata(L, 1);
    if (luaL_loadbufferx(L, request->source, request->length, request->chunkname, "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, 1);
    if (lua_type(L, -1) != LUA_TTABLE) return luaL_error(L, "the prelude must return a table");
    lua_getfield(L, -1, "invoke");
    if (lua_type(L, -1) != LUA_TFUNCTION) return luaL_error(L, "the prelude must return invoke");
    lua_pushvalue(L, -1);
    host_of(L)->invoke_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_setfield(L, LUA_REGISTRYINDEX, "relais.invoke");
    lua_getfield(L, -1, "filters");
    if (lua_type(L, -1) != LUA_TTABLE) return luaL_error(L, "the prelude must return filters");
    lua_setfield(L, LUA_REGISTRYINDEX, "relais.filters");
    lua_getfield(L, -1, "bad_filter_result");
    if (lua_type(L, -1) != LUA_TFUNCTION) return luaL_error(L, "the prelude must return bad_filter_result");
    host_of(L)->bad_filter_result_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int relais_lua_install_prelude(lua_State *L, const char *source, size_t length, const char *chunkname) {
    relais_lua_host *h = host_of(L);
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    prelude_request request = {source, length, chunkname};
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, prelude_protected);
    lua_pushlightuserdata(L, &request);
    int status = lua_pcall(L, 1, 0, base + 1);
    return finish_call(L, h, status, base, NULL);
}

typedef struct {
    const char *action, *name, *extra;
    size_t extra_length;
    const void *blob;
    size_t blob_length;
    const void *const *field_bases;
    const size_t *field_counts;
    uint32_t unlent;
    int lender;
    long long reference;
    // A second event (a change's `before`), passed after `extra`.
    const void *second_blob;
    size_t second_length;
} invoke_request;

static int invoke_protected(lua_State *L) {
    invoke_request *request = lua_touserdata(L, 1);
    if (host_of(L)->invoke_ref == LUA_NOREF) return luaL_error(L, "the relais prelude is not loaded");
    lua_rawgeti(L, LUA_REGISTRYINDEX, host_of(L)->invoke_ref);
    lua_pushstring(L, request->action);
    lua_pushstring(L, request->name);
    if (request->field_bases)
        push_view_fields(L, request->field_bases, request->field_counts, request->unlent, request->lender,
                         request->reference);
    else if (request->blob) push_view(L, request->blob, request->blob_length);
    else lua_pushnil(L);
    if (request->extra) lua_pushlstring(L, request->extra, request->extra_length);
    else lua_pushnil(L);
    if (request->second_blob) push_view(L, request->second_blob, request->second_length);
    else lua_pushnil(L);
    lua_call(L, 5, 1);
    return 1;
}

static int invoke_request_protected(lua_State *L, invoke_request *request, relais_lua_value *result);

int relais_lua_invoke(lua_State *L, const char *action, const char *name, const void *event_blob, size_t blob_length,
                      const char *extra, size_t extra_length, relais_lua_value *result) {
    invoke_request request = {action, name, extra, extra_length, event_blob, blob_length, NULL, NULL, 0, -1, 0, NULL, 0};
    return invoke_request_protected(L, &request, result);
}

int relais_lua_invoke_fields(lua_State *L, const char *action, const char *name, const void *const *field_bases,
                             const size_t *field_counts, uint32_t unlent, int lender, long long reference,
                             const char *extra, size_t extra_length, relais_lua_value *result) {
    invoke_request request = {action,      name,         extra,  extra_length, NULL,      0, field_bases,
                              field_counts, unlent, lender, reference,    NULL, 0};
    return invoke_request_protected(L, &request, result);
}

int relais_lua_invoke_two(lua_State *L, const char *action, const char *name, const void *event_blob,
                          size_t blob_length, const void *second_blob, size_t second_length, const char *extra,
                          size_t extra_length, relais_lua_value *result) {
    invoke_request request = {action, name, extra, extra_length, event_blob, blob_length, NULL,
                              NULL,   0,    -1,    0,            second_blob, second_length};
    return invoke_request_protected(L, &request, result);
}

static int invoke_request_protected(lua_State *L, invoke_request *request, relais_lua_value *result) {
    relais_lua_host *h = host_of(L);
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, invoke_protected);
    lua_pushlightuserdata(L, request);
    int status = lua_pcall(L, 1, 1, base + 1);
    return finish_call(L, h, status, base, result);
}

// Calls the filter itself, not the prelude's dispatcher: a filtered listing runs this once
// per event, and the dispatcher's lookups cost as much as a simple filter.
static int filter_batch_protected(lua_State *L) {
    filter_batch_request *request = lua_touserdata(L, 1);
    relais_lua_host *h = host_of(L);
    if (h->bad_filter_result_ref == LUA_NOREF) return luaL_error(L, "the relais prelude is not loaded");
    lua_getfield(L, LUA_REGISTRYINDEX, "relais.filters");
    lua_getfield(L, -1, request->name);
    int filter = lua_gettop(L);
    if (lua_type(L, filter) != LUA_TFUNCTION) return luaL_error(L, "no filter named '%s'", request->name);
    for (size_t index = 0; index < request->count; index++) {
        // Each event has the budget a call would have: a filter's limit is per event.
        h->instructions = 0;
        h->clock_started = 0;
        lua_pushvalue(L, filter);
        push_batch_view(L, request, index);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TBOOLEAN) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, h->bad_filter_result_ref);
            lua_pushstring(L, request->name);
            lua_pushvalue(L, -3);
            lua_call(L, 2, 0);  // raises
        }
        request->results[index] = (unsigned char)lua_toboolean(L, -1);
        request->done = index + 1;
        lua_pop(L, 1);
    }
    return 0;
}

int relais_lua_filter_batch(lua_State *L, const char *name, const void *const *field_bases, const size_t *field_counts,
                            uint32_t unlent, int lender, const long long *references, size_t count,
                            unsigned char *results, size_t *done) {
    relais_lua_host *h = host_of(L);
    int base = lua_gettop(L);
    *done = 0;
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    filter_batch_request request = {name, field_bases, field_counts, unlent, lender, references, count, results, 0};
    // A filter may start another listing through the host: the outer batch lends again
    // when the inner one ends.
    const filter_batch_request *outer_batch = h->batch;
    h->batch = &request;
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, filter_batch_protected);
    lua_pushlightuserdata(L, &request);
    int status = lua_pcall(L, 1, 0, base + 1);
    h->batch = outer_batch;
    drop_light_cache(L, h);
    *done = request.done;
    return finish_call(L, h, status, base, NULL);
}

typedef struct {
    int mode;
    const char *name;
    const void *const *blobs;
    const size_t *lengths;
    size_t count;
    size_t matched;
} filter_many_request;

static int filter_many_protected(lua_State *L) {
    filter_many_request *request = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "relais.filters");
    lua_getfield(L, -1, request->name);
    int function = lua_gettop(L);
    if (lua_type(L, function) != LUA_TFUNCTION) return luaL_error(L, "no filter named '%s'", request->name);
    if (request->mode == 2) push_event_table(L, request->blobs[0]);
    int proxy = lua_gettop(L);
    for (size_t index = 0; index < request->count; index++) {
        lua_pushvalue(L, function);
        if (request->mode == 0) push_view(L, request->blobs[index], request->lengths[index]);
        else if (request->mode == 1) push_event_table(L, request->blobs[index]);
        else {
            for (int field = 0; field < RELAIS_EVENT_FIELDS; field++) {
                push_field(L, request->blobs[index], field);
                lua_setfield(L, proxy, field_names[field]);
            }
            lua_pushvalue(L, proxy);
        }
        lua_call(L, 1, 1);
        if (lua_toboolean(L, -1)) request->matched++;
        lua_pop(L, 1);
    }
    return 0;
}

int relais_lua_filter_many(lua_State *L, int mode, const char *name, const void *const *blobs, const size_t *lengths,
                           size_t count, size_t *matched) {
    relais_lua_host *h = host_of(L);
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    filter_many_request request = {mode, name, blobs, lengths, count, 0};
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, filter_many_protected);
    lua_pushlightuserdata(L, &request);
    int status = lua_pcall(L, 1, 0, base + 1);
    *matched = request.matched;
    return finish_call(L, h, status, base, NULL);
}
