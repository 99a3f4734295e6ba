-- Reference "lua-cjson-filter" of scripts/bench-references, timed as a whole process.
-- Usage: lua5.4 cjson-filter.lua EVENTS.jsonl
-- Decodes every line with lua-cjson and counts the events of region "75" of kind "webinar"
-- (the filter of scripts/bench-lua). Prints the count. A null region decodes to cjson.null.
local decode = require("cjson").decode
local count = 0
for line in io.lines(arg[1]) do
  if line:find("%S") then
    local e = decode(line)
    if e.region == "75" and e.kind == "webinar" then count = count + 1 end
  end
end
print(count)
