-- Reference "lua-memory-filter" of scripts/bench-references (same as scripts/bench-lua's
-- plain lua5.4 line): the events are first loaded as Lua tables from the TSV written by
-- prepare.py (id, kind, region, status, title; not timed), then the filter pass alone is
-- timed with os.clock() (CPU seconds of this process).
-- Usage: lua5.4 memory-filter.lua events.tsv
-- Prints "SECONDS MATCHED".
local events = {}
for line in io.lines(arg[1]) do
  local id, kind, region, status, title = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  events[#events + 1] = { id = id, kind = kind, region = region ~= "" and region or nil, status = status, title = title }
end
local filter = function(e) return e.region == "75" and e.kind == "webinar" end
local start = os.clock()
local matched = 0
for i = 1, #events do if filter(events[i]) then matched = matched + 1 end end
local elapsed = os.clock() - start
print(string.format("%.6f %d", elapsed, matched))
