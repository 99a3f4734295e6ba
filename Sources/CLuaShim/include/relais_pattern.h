// Step-budgeted Lua patterns (see relais_pattern.c).
#ifndef RELAIS_PATTERN_H
#define RELAIS_PATTERN_H

#include <lua5.4/lua.h>

/// Replaces find, match, gmatch and gsub in the string table at `string_table`.
void relais_pattern_install(lua_State *L, int string_table);

/// Adds `count` instructions to the state's budget; raises the instruction-limit stop
/// (file and line of the calling script) when the budget is exhausted.
void relais_lua_charge_instructions(lua_State *L, long long count);

#endif
