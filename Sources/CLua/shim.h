// Debian's liblua5.4-dev, as one module. The functions Swift cannot call directly (the
// macros lua_pcall, lua_tostring, lua_pop, …) and everything that may raise a Lua error
// live in CLuaShim, so that no longjmp ever crosses a Swift frame.
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
