// Lua patterns with a step budget.
//
// The standard string.find/match/gmatch/gsub run the whole match in one C call, where Lua
// runs no hook: a backtracking pattern on a long subject could run for hours inside the
// instruction budget. These replacements implement the same pattern language, but count
// every matching step against the calling state's instruction budget, and stop with the
// same "instruction limit exceeded" as the hook when it runs out.
#define _GNU_SOURCE
#include "relais_pattern.h"

#include <lua5.4/lauxlib.h>
#include <string.h>

#ifndef LUA_MAXCAPTURES
#define LUA_MAXCAPTURES 32
#endif
#define ESCAPE '%'
#define SPECIALS "^$*+?.([%-"
#define MAX_DEPTH 200
#define CAPTURE_UNFINISHED (-1)
#define CAPTURE_POSITION (-2)
// Steps are reported to the budget in batches, so the common case stays cheap.
#define STEP_BATCH 4096

typedef struct {
    const char *subject, *subject_end, *pattern_end;
    lua_State *L;
    int depth;
    int level;
    struct {
        const char *start;
        ptrdiff_t length;
    } captures[LUA_MAXCAPTURES];
    long steps;
} matcher;

static void charge(matcher *m) {
    if (++m->steps >= STEP_BATCH) {
        relais_lua_charge_instructions(m->L, m->steps);
        m->steps = 0;
    }
}

static const char *do_match(matcher *m, const char *s, const char *p);

static int check_capture(matcher *m, int l) {
    l -= '1';
    if (l < 0 || l >= m->level || m->captures[l].length == CAPTURE_UNFINISHED)
        return luaL_error(m->L, "invalid capture index %%%d", l + 1);
    return l;
}

static int capture_to_close(matcher *m) {
    int level = m->level;
    for (level--; level >= 0; level--)
        if (m->captures[level].length == CAPTURE_UNFINISHED) return level;
    return luaL_error(m->L, "invalid pattern capture");
}

static const char *class_end(matcher *m, const char *p) {
    switch (*p++) {
    case ESCAPE:
        if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^') p++;
        do {
            if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*(p++) == ESCAPE && p < m->pattern_end) p++;
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static int class_matches(int c, int cl) {
    int result;
    switch (cl | 0x20) {
    case 'a': result = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); break;
    case 'c': result = c < 32 || c == 127; break;
    case 'd': result = c >= '0' && c <= '9'; break;
    case 'g': result = c > 32 && c < 127; break;
    case 'l': result = c >= 'a' && c <= 'z'; break;
    case 'p': result = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126); break;
    case 's': result = c == ' ' || (c >= '\t' && c <= '\r'); break;
    case 'u': result = c >= 'A' && c <= 'Z'; break;
    case 'w': result = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); break;
    case 'x': result = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); break;
    case 'z': result = c == 0; break;  // deprecated in 5.4, still accepted
    default: return cl == c;
    }
    // An upper-case class letter is the complement.
    if (cl >= 'A' && cl <= 'Z') result = !result;
    return result;
}

static int bracket_matches(int c, const char *p, const char *end_of_class) {
    int negate = 0;
    if (*(p + 1) == '^') {
        negate = 1;
        p++;
    }
    while (++p < end_of_class) {
        if (*p == ESCAPE) {
            p++;
            if (class_matches(c, (unsigned char)*p)) return !negate;
        } else if (*(p + 1) == '-' && p + 2 < end_of_class) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return !negate;
        } else if ((unsigned char)*p == c) {
            return !negate;
        }
    }
    return negate;
}

static int single_matches(matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->subject_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESCAPE: return class_matches(c, (unsigned char)*(p + 1));
    case '[': return bracket_matches(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *match_balance(matcher *m, const char *s, const char *p) {
    if (p >= m->pattern_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (*s != *p) return NULL;
    int open = *p, close = *(p + 1), depth = 1;
    while (++s < m->subject_end) {
        charge(m);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t count = 0;
    while (single_matches(m, s + count, p, ep)) {
        charge(m);
        count++;
    }
    // Try the longest run first, then shorter ones.
    while (count >= 0) {
        charge(m);
        const char *result = do_match(m, s + count, ep + 1);
        if (result) return result;
        count--;
    }
    return NULL;
}

static const char *min_expand(matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        charge(m);
        const char *result = do_match(m, s, ep + 1);
        if (result) return result;
        if (single_matches(m, s, p, ep)) s++;
        else return NULL;
    }
}

static const char *start_capture(matcher *m, const char *s, const char *p, int what) {
    if (m->level >= LUA_MAXCAPTURES) luaL_error(m->L, "too many captures");
    m->captures[m->level].start = s;
    m->captures[m->level].length = what;
    m->level++;
    const char *result = do_match(m, s, p);
    if (!result) m->level--;
    return result;
}

static const char *end_capture(matcher *m, const char *s, const char *p) {
    int l = capture_to_close(m);
    m->captures[l].length = s - m->captures[l].start;
    const char *result = do_match(m, s, p);
    if (!result) m->captures[l].length = CAPTURE_UNFINISHED;
    return result;
}

static const char *match_capture(matcher *m, const char *s, int l) {
    l = check_capture(m, l);
    size_t length = (size_t)m->captures[l].length;
    if ((size_t)(m->subject_end - s) >= length && memcmp(m->captures[l].start, s, length) == 0) return s + length;
    return NULL;
}

static const char *do_match(matcher *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    charge(m);
    while (p != m->pattern_end) {
        charge(m);
        switch (*p) {
        case '(':
            if (*(p + 1) == ')') s = start_capture(m, s, p + 2, CAPTURE_POSITION);
            else s = start_capture(m, s, p + 1, CAPTURE_UNFINISHED);
            goto done;
        case ')':
            s = end_capture(m, s, p + 1);
            goto done;
        case '$':
            if (p + 1 != m->pattern_end) goto plain;
            s = (s == m->subject_end) ? s : NULL;
            goto done;
        case ESCAPE:
            switch (*(p + 1)) {
            case 'b':
                s = match_balance(m, s, p + 2);
                if (s) {
                    p += 4;
                    continue;
                }
                goto done;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(m, p);
                int previous = (s == m->subject) ? '\0' : (unsigned char)*(s - 1);
                int current = (s < m->subject_end) ? (unsigned char)*s : '\0';
                if (!bracket_matches(previous, p, ep - 1) && bracket_matches(current, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = match_capture(m, s, (unsigned char)*(p + 1));
                if (s) {
                    p += 2;
                    continue;
                }
                goto done;
            default:
                goto plain;
            }
        default:
        plain: {
            const char *ep = class_end(m, p);
            if (!single_matches(m, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') {
                    p = ep + 1;
                    continue;
                }
                s = NULL;
            } else {
                switch (*ep) {
                case '?': {
                    const char *result = do_match(m, s + 1, ep + 1);
                    if (result) {
                        s = result;
                    } else {
                        p = ep + 1;
                        continue;
                    }
                    break;
                }
                case '+': s = max_expand(m, s + 1, p, ep); break;
                case '*': s = max_expand(m, s, p, ep); break;
                case '-': s = min_expand(m, s, p, ep); break;
                default:
                    s++;
                    p = ep;
                    continue;
                }
            }
            goto done;
        }
        }
    }
done:
    m->depth++;
    return s;
}

static void prepare(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->depth = MAX_DEPTH;
    m->subject = s;
    m->subject_end = s + ls;
    m->pattern_end = p + lp;
    m->level = 0;
    m->steps = 0;
}

static void settle(matcher *m) {
    if (m->steps) relais_lua_charge_instructions(m->L, m->steps);
    m->steps = 0;
}

// A string capture's bytes (or the whole match for index 0 without captures). Position
// captures are handled by the callers.
static size_t get_capture(matcher *m, int i, const char *s, const char *e, const char **start) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        *start = s;
        return (size_t)(e - s);
    }
    if (m->captures[i].length == CAPTURE_UNFINISHED) luaL_error(m->L, "unfinished capture");
    *start = m->captures[i].start;
    return (size_t)m->captures[i].length;
}

static int is_position_capture(matcher *m, int i) {
    return i < m->level && m->captures[i].length == CAPTURE_POSITION;
}

static void push_capture(matcher *m, int i, const char *s, const char *e) {
    if (is_position_capture(m, i)) {
        lua_pushinteger(m->L, (m->captures[i].start - m->subject) + 1);
        return;
    }
    const char *start;
    size_t length = get_capture(m, i, s, e, &start);
    lua_pushlstring(m->L, start, length);
}

static int push_captures(matcher *m, const char *s, const char *e, int whole_if_none) {
    int count = (m->level == 0 && whole_if_none) ? 1 : m->level;
    luaL_checkstack(m->L, count, "too many captures");
    for (int i = 0; i < count; i++) push_capture(m, i, s, e);
    return count;
}

static size_t start_index(lua_Integer position, size_t length) {
    if (position > 0) return (size_t)position;
    if (position == 0) return 1;
    if (position < -(lua_Integer)length) return 1;
    return length + (size_t)position + 1;
}

static int has_specials(const char *p, size_t l) {
    size_t upto = 0;
    do {
        if (strpbrk(p + upto, SPECIALS)) return 1;
        upto += strlen(p + upto) + 1;
    } while (upto <= l);
    return 0;
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        relais_lua_charge_instructions(L, (long long)(ls - init) / 16 + 1);
        const char *found = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        if (found) {
            lua_pushinteger(L, (found - s) + 1);
            lua_pushinteger(L, (found - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    matcher m;
    const char *s1 = s + init;
    int anchor = (*p == '^');
    if (anchor) {
        p++;
        lp--;
    }
    prepare(&m, L, s, ls, p, lp);
    do {
        m.level = 0;
        m.depth = MAX_DEPTH;
        const char *e = do_match(&m, s1, p);
        if (e) {
            settle(&m);
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&m, NULL, NULL, 0) + 2;
            }
            return push_captures(&m, s1, e, 1);
        }
    } while (s1++ < m.subject_end && !anchor);
    settle(&m);
    luaL_pushfail(L);
    return 1;
}

static int relais_find(lua_State *L) { return find_or_match(L, 1); }
static int relais_match(lua_State *L) { return find_or_match(L, 0); }

typedef struct {
    const char *source, *pattern, *last_match;
    size_t source_length, pattern_length;
    size_t position;
} gmatch_state;

static int gmatch_step(lua_State *L) {
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    matcher m;
    prepare(&m, L, g->source, g->source_length, g->pattern, g->pattern_length);
    for (const char *src = g->source + g->position; src <= m.subject_end; src++) {
        m.level = 0;
        m.depth = MAX_DEPTH;
        const char *e = do_match(&m, src, g->pattern);
        if (e && e != g->last_match) {
            g->position = (size_t)(e - g->source);
            g->last_match = e;
            settle(&m);
            return push_captures(&m, src, e, 1);
        }
    }
    settle(&m);
    return 0;
}

static int relais_gmatch(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->source = s;
    g->source_length = ls;
    g->pattern = p;
    g->pattern_length = lp;
    g->position = init;
    g->last_match = NULL;
    // The subject and pattern strings stay alive as upvalues 1 and 2.
    lua_pushcclosure(L, gmatch_step, 3);
    return 1;
}

static void add_string_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    lua_State *L = m->L;
    const char *news = lua_tolstring(L, 3, &l);
    const char *p;
    while ((p = memchr(news, ESCAPE, l)) != NULL) {
        luaL_addlstring(b, news, (size_t)(p - news));
        p++;
        if (*p == ESCAPE) {
            luaL_addchar(b, *p);
        } else if (*p >= '0' && *p <= '9') {
            const char *capture;
            if (*p == '0') {
                luaL_addlstring(b, s, (size_t)(e - s));
            } else {
                int index = *p - '1';
                if (is_position_capture(m, index)) {
                    lua_pushinteger(L, (m->captures[index].start - m->subject) + 1);
                    luaL_addvalue(b);
                } else {
                    size_t length = get_capture(m, index, s, e, &capture);
                    luaL_addlstring(b, capture, length);
                }
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESCAPE);
        }
        l -= (size_t)(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

static int add_value(matcher *m, luaL_Buffer *b, const char *s, const char *e, int type) {
    lua_State *L = m->L;
    switch (type) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e, 1);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        add_string_replacement(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int relais_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last_match = NULL;
    int type = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    int anchor = (*p == '^');
    if (anchor) {
        p++;
        lp--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    matcher m;
    prepare(&m, L, src, ls, p, lp);
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        m.level = 0;
        m.depth = MAX_DEPTH;
        const char *e = do_match(&m, src, p);
        if (e && e != last_match) {
            n++;
            changed = add_value(&m, &b, src, e, type) | changed;
            src = last_match = e;
        } else if (src < m.subject_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    settle(&m);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.subject_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void relais_pattern_install(lua_State *L, int string_table) {
    lua_pushcfunction(L, relais_find);
    lua_setfield(L, string_table, "find");
    lua_pushcfunction(L, relais_match);
    lua_setfield(L, string_table, "match");
    lua_pushcfunction(L, relais_gmatch);
    lua_setfield(L, string_table, "gmatch");
    lua_pushcfunction(L, relais_gsub);
    lua_setfield(L, string_table, "gsub");
}
