import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

/// The sandbox replaces string.find, match, gmatch and gsub with step-budgeted versions
/// (relais_pattern.c). They must behave exactly like Lua 5.4's: the expected results below
/// were produced by running the same script with the reference `lua5.4` interpreter.
@Suite struct PatternTests {
    static let script = #"""
        local function show(...)
          local n = select("#", ...)
          local parts = {}
          for i = 1, n do
            local v = select(i, ...)
            parts[i] = type(v) == "string" and string.format("%q", v) or tostring(v)
          end
          return table.concat(parts, ",")
        end
        local function try(f, ...)
          local r = table.pack(pcall(f, ...))
          if not r[1] then return "error: " .. tostring(r[2]):gsub("^[^:]*:%d+: ", "") end
          return show(table.unpack(r, 2, r.n))
        end
        local function all(s, p, init)
          local out = {}
          for a, b, c in string.gmatch(s, p, init) do out[#out + 1] = show(a, b, c) end
          return table.concat(out, " | ")
        end
        local cases = {
          function() return try(string.find, "hello world", "o w") end,
          function() return try(string.find, "hello world", "o", 6) end,
          function() return try(string.find, "hello world", "l+") end,
          function() return try(string.find, "hello", "", 10) end,
          function() return try(string.find, "hello", "", 6) end,
          function() return try(string.find, "hello", "l", -2) end,
          function() return try(string.find, "hello", "l", -100) end,
          function() return try(string.find, "a.b", ".", 1, true) end,
          function() return try(string.find, "a+b", "+", 1, true) end,
          function() return try(string.find, "x = 42;", "(%a+)%s*=%s*(%d+)") end,
          function() return try(string.find, "abc", "()b()") end,
          function() return try(string.find, "  trim  ", "^%s*(.-)%s*$") end,
          function() return try(string.match, "  trim  ", "^%s*(.-)%s*$") end,
          function() return try(string.match, "2020-11-10T09:30", "^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d)$") end,
          function() return try(string.match, "key=value", "(%w+)=(%w+)") end,
          function() return try(string.match, "THE (quick) fox", "%((%a+)%)") end,
          function() return try(string.match, "f(a(b)c)d", "%b()") end,
          function() return try(string.match, "THE (quick) fox", "%f[%a]%a+") end,
          function() return try(string.match, "hello", "^(h)(e)") end,
          function() return try(string.match, "hello", "l*") end,
          function() return try(string.match, "hello", "l-o") end,
          function() return try(string.match, "hello", "x?h") end,
          function() return try(string.match, "abcabc", "(abc)%1") end,
          function() return try(string.match, "été", "[\128-\255]+") end,
          function() return try(string.match, "a1_B2", "[%w_]+") end,
          function() return try(string.match, "a-b", "[a%-]+") end,
          function() return try(string.match, "]x", "[]]") end,
          function() return try(string.match, "^x", "[%^x]+") end,
          function() return try(string.match, "abc", "[^a]+") end,
          function() return try(string.match, "ABC def", "%u+") end,
          function() return try(string.match, "ABC def", "%U+") end,
          function() return try(string.match, "a.b", "%.") end,
          function() return try(string.match, "x$y", "x$y") end,
          function() return try(string.match, "end$", "d%$$") end,
          function() return try(string.match, "\t x", "%s+") end,
          function() return try(string.match, "!?,.", "%p+") end,
          function() return try(string.match, "ab\1\127", "%c+") end,
          function() return try(string.match, "0x1F", "%x+", 3) end,
          function() return try(string.match, "hello", "()ll()") end,
          function() return try(string.match, "hello", "(h)(e)(l)(l)(o)") end,
          function() return try(string.match, "hello", "%") end,
          function() return try(string.match, "hello", "[a") end,
          function() return try(string.match, "hello", "(h") end,
          function() return try(string.match, "hello", "h)") end,
          function() return try(string.match, "hello", "%1") end,
          function() return try(string.match, "hello", "%f") end,
          function() return try(string.match, "hello", "%b") end,
          function() return try(string.match, string.rep("a", 40), string.rep("(a)", 33)) end,
          function() return try(string.match, "hello", "(()") end,
          function() return all("one two  three", "%a+") end,
          function() return all("k1=v1, k2=v2", "(%w+)=(%w+)") end,
          function() return all("abc", "") end,
          function() return all("abc", "()") end,
          function() return all("hello world", "%a+", 3) end,
          function() return all("hello world", "%a+", -5) end,
          function() return all("^a^a", "^a") end,
          function() return all("aaa", "a*") end,
          function() return all("abc", ".-") end,
          function() return try(string.gsub, "hello world", "o", "0") end,
          function() return try(string.gsub, "hello world", "o", "0", 1) end,
          function() return try(string.gsub, "hello world", "(%w+)", "<%1>") end,
          function() return try(string.gsub, "hello world", "%w+", "%0 %0") end,
          function() return try(string.gsub, "hello", "", "-") end,
          function() return try(string.gsub, "abc", "%w", "%%") end,
          function() return try(string.gsub, "abc", "%w", "%2") end,
          function() return try(string.gsub, "abc", "%w", "%x") end,
          function() return try(string.gsub, "abc", "()b", "%1") end,
          function() return try(string.gsub, "$name is $age", "%$(%w+)", { name = "Ana", age = 7 }) end,
          function() return try(string.gsub, "$name is $unknown", "%$(%w+)", { name = "Ana" }) end,
          function() return try(string.gsub, "abc", "%w", function(c) return c:upper() .. "." end) end,
          function() return try(string.gsub, "abc", "%w", function(c) if c == "b" then return false end return "x" end) end,
          function() return try(string.gsub, "abc", "%w", 7) end,
          function() return try(string.gsub, "abc", "^%w", "X") end,
          function() return try(string.gsub, "abc", "%w$", "X") end,
          function() return try(string.gsub, "aaa", "a*", "-") end,
          function() return try(string.gsub, "hello world", "(o)", "[%1]", 0) end,
          function() return try(string.gsub, "hello", "l", true) end,
          function() return try(string.gsub, "x", "x", "%") end,
          function() return try(string.gsub, "abc", "(a)(b)(c)", function(a, b, c) return c .. b .. a end) end,
          function() return try(string.gsub, "unchanged", "z", "y") end,
          function() return try(string.find, "abc", "b", 1.0) end,
          function() return try(string.find, "abc", "b", 1.5) end,
          function() return try(string.rep, "ab", 3, ",") end,
          function() return try(string.find, "a\0b\0c", "\0c") end,
          function() return try(string.match, "[[x]]", "%[(%b[])%]") end,
          function() return try(string.find, "abc", "[b-]") end,
          function() return try(string.find, "a-c", "[b-]") end,
          function() return try(string.find, "abc", "[%a-z]+") end,
          function() return try(string.match, "hello", ".-$") end,
          function() return try(string.match, "hello", "^$") end,
          function() return try(string.match, "", "^$") end,
        }
        for i, f in ipairs(cases) do print(i .. "\t" .. f()) end
        """#

    static let reference = #"""
        1	5,7
        2	8,8
        3	3,4
        4	nil
        5	6,5
        6	4,4
        7	3,3
        8	2,2
        9	2,2
        10	1,6,"x","42"
        11	2,2,2,3
        12	1,8,"trim"
        13	"trim"
        14	"2020","11","10","09","30"
        15	"key","value"
        16	"quick"
        17	"(a(b)c)"
        18	"THE"
        19	"h","e"
        20	""
        21	"llo"
        22	"h"
        23	"abc"
        24	"é"
        25	"a1_B2"
        26	"a-"
        27	"]"
        28	"^x"
        29	"bc"
        30	"ABC"
        31	" def"
        32	"."
        33	"x$y"
        34	"d$"
        35	"\9 "
        36	"!?,."
        37	"\1\127"
        38	"1F"
        39	3,5
        40	"h","e","l","l","o"
        41	error: malformed pattern (ends with '%')
        42	error: malformed pattern (missing ']')
        43	error: unfinished capture
        44	error: invalid pattern capture
        45	error: invalid capture index %1
        46	error: missing '[' after '%f' in pattern
        47	error: malformed pattern (missing arguments to '%b')
        48	error: too many captures
        49	error: unfinished capture
        50	"one",nil,nil | "two",nil,nil | "three",nil,nil
        51	"k1","v1",nil | "k2","v2",nil
        52	"",nil,nil | "",nil,nil | "",nil,nil | "",nil,nil
        53	1,nil,nil | 2,nil,nil | 3,nil,nil | 4,nil,nil
        54	"llo",nil,nil | "world",nil,nil
        55	"world",nil,nil
        56	"^a",nil,nil | "^a",nil,nil
        57	"aaa",nil,nil
        58	"",nil,nil | "",nil,nil | "",nil,nil | "",nil,nil
        59	"hell0 w0rld",2
        60	"hell0 world",1
        61	"<hello> <world>",2
        62	"hello hello world world",2
        63	"-h-e-l-l-o-",6
        64	"%%%",3
        65	error: invalid capture index %2
        66	error: invalid use of '%' in replacement string
        67	"a2c",1
        68	"Ana is 7",2
        69	"Ana is $unknown",2
        70	"A.B.C.",3
        71	"xbx",3
        72	"777",3
        73	"Xbc",1
        74	"abX",1
        75	"-",1
        76	"hello world",0
        77	error: bad argument #3 to 'string.gsub' (string/function/table expected, got boolean)
        78	error: invalid use of '%' in replacement string
        79	"cba",1
        80	"unchanged",0
        81	2,2
        82	error: bad argument #3 to 'string.find' (number has no integer representation)
        83	"ab,ab,ab"
        84	4,5
        85	"[x]"
        86	2,2
        87	2,2
        88	1,3
        89	"hello"
        90	nil
        91	""
        """#

    /// Error messages name functions slightly differently ('string.gsub' in the reference,
    /// 'gsub' in the sandbox): compare without the library prefix.
    /// (Whether the name is known at all is checked by `argumentErrorsNameTheFunction`.)
    private func normalized(_ line: String) -> String {
        line.replacingOccurrences(of: #"bad argument #(\d+) to '[^']*'"#, with: "bad argument #$1 to 'F'", options: .regularExpression)
    }

    /// An argument error raised by a sandbox replacement names the function, as Lua's own
    /// functions do, also when it is called through pcall (no call-site name).
    @Test func argumentErrorsNameTheFunction() throws {
        let outcome = try runScript(
            """
            print(select(2, pcall(string.gsub, "abc", "%w", true)))
            print(select(2, pcall(string.find, "abc", "b", 1.5)))
            print(select(2, pcall(string.rep)))
            print(select(2, pcall(string.upper)))
            print(select(2, pcall(table.insert, {}, 2^53, 1)))
            print(select(2, pcall(table.concat, { {} })))
            print(select(2, pcall(function() return table.unpack({}, 1, "x") end)))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 7)
        for (line, name) in zip(outcome.lines, ["gsub", "find", "rep", "upper", "insert", "concat", "unpack"]) {
            #expect(
                line.contains("'\(name)'") || line.contains("'string.\(name)'") || line.contains("'table.\(name)'"), "\(line)")
            #expect(!line.contains("'?'"), "\(line)")
        }
    }

    @Test func patternFunctionsMatchTheReferenceInterpreter() throws {
        let outcome = try runScript(Self.script, limits: ScriptLimits(instructions: 10_000_000, memory: 16 << 20))
        #expect(outcome.status == 0, "\(outcome.message)")
        let expected = Self.reference.split(separator: "\n").map { normalized(String($0)) }
        let actual = outcome.lines.map(normalized)
        #expect(actual.count == expected.count)
        for (index, line) in expected.enumerated() where index < actual.count {
            #expect(actual[index] == line, "case \(index + 1)")
        }
    }

    /// `%z` (the NUL byte) is deprecated but still understood by Lua 5.4's string library.
    @Test func deprecatedClassZStillMatchesNUL() throws {
        let outcome = try runScript(
            #"""
            print(string.match("a\0b", "%z") == "\0", string.find("a\0b\0c", "%z", 3))
            """#)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["true\t4\t4"])
    }

    @Test func patternErrorsNameTheScriptLine() throws {
        let source = """
            local s = "hello"
            local ok = s:find("[a") -- HERE
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:2:", "malformed pattern (missing ']')")
    }

    @Test func backtrackingPatternsAreStoppedAtTheScriptLine() throws {
        let source = """
            local s = string.rep("a", 70)
            local found = s:find(".-.-.-.-b") -- HERE
            return 0
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:2:", "instruction limit exceeded (1000000 instructions)", limit: .instructions)
        for call in ["s:match('.-.-.-.-b')", "s:gsub('.-.-.-.-b', 'x')", "for w in s:gmatch('.-.-.-.-b') do end"] {
            let each = try runScript("local s = string.rep('a', 70)\n\(call)\nreturn 0\n")
            expectFailure(each, "script.lua:2:", "instruction limit exceeded", limit: .instructions)
        }
        // Many small matches add up too.
        let many = try runScript(
            """
            local s = string.rep("a", 20)
            for i = 1, 1e6 do s:find(".-.-b") end
            return 0
            """, limits: ScriptLimits(instructions: 5_000_000, memory: 8 << 20))
        expectFailure(many, "instruction limit exceeded", limit: .instructions)
        try expectHealthyRun()
    }
}
