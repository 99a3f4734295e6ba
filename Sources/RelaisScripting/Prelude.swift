/// The Lua side of the `relais` API, run in every state before any script.
///
/// It checks arguments (messages name the function and the expected type, at the
/// script's line), keeps filters, exporters, handlers and digests in private tables, and
/// returns the dispatcher the host calls. Host functions arrive in the global `__host`,
/// which the prelude removes, so scripts only see `relais`.
let relaisPrelude = #"""
local host = __host
__host = nil
local where = __relais_where
__relais_where = nil

local type, error, pairs, ipairs, tostring, select, rawget, rawequal, next, pcall, load, setmetatable, getmetatable =
  type, error, pairs, ipairs, tostring, select, rawget, rawequal, next, pcall, load, setmetatable, getmetatable
local concat, sort, unpack, pack = table.concat, table.sort, table.unpack, table.pack
local format, byte, char, sub, find, gsub, rep = string.format, string.byte, string.char, string.sub, string.find, string.gsub, string.rep
local math_type, floor, huge, tointeger, tonumber = math.type, math.floor, math.huge, math.tointeger, tonumber
local gmatch, match = string.gmatch, string.match
local utf8_char = utf8.char

local function fail(message) error(where() .. message, 0) end

-- coroutine.wrap on top of the host's create and resume, so that every switch of thread
-- goes through the host (which must know the running thread to name lines).
do
  local create, resume, close = coroutine.create, coroutine.resume, coroutine.close
  coroutine.wrap = function(f)
    local thread = create(f)
    return function(...)
      local results = pack(resume(thread, ...))
      if results[1] then return unpack(results, 2, results.n) end
      close(thread)
      error(results[2], 0)
    end
  end
end

local function check(fname, position, value, expected, optional)
  if value == nil and optional then return end
  if type(value) ~= expected then
    fail(format("%s: argument #%d must be a %s, got %s", fname, position, expected, type(value)))
  end
end

local function check_field(fname, spec, key, expected, optional)
  local value = spec[key]
  if value == nil and optional then return nil end
  if type(value) ~= expected then
    fail(format("%s: field '%s' must be a %s, got %s", fname, key, expected, type(value)))
  end
  return value
end

local function check_name(fname, name)
  if not find(name, "^[%w_%-]+$") then
    fail(format("%s: name '%s' must use only letters, digits, '-' and '_'", fname, name))
  end
end

local relais = { version = host.version() }
local filters, exporters, handlers, digests = {}, {}, {}, {}
local filter_places, exporter_places = {}, {}

-- For a plugin, what its manifest says (nil for a `relais run` script).
do
  local id, name, version, region, lab = host.plugin_info()
  if id then relais.plugin = { id = id, name = name, version = version, region = region, lab = lab } end
end

function relais.filter(name, fn)
  check("relais.filter", 1, name, "string")
  check("relais.filter", 2, fn, "function")
  check_name("relais.filter", name)
  if filters[name] then fail(format("relais.filter: a filter named '%s' is already defined", name)) end
  filters[name] = fn
  filter_places[name] = where()
  host.register("filter", name)
end

local exporter_keys = { name = true, extension = true, mime = true, header = true, event = true, footer = true, description = true }
function relais.exporter(spec)
  check("relais.exporter", 1, spec, "table")
  for key in pairs(spec) do
    if not exporter_keys[key] then
      fail(format("relais.exporter: unknown field '%s' (expected name, extension, mime, header, event, footer, description)", tostring(key)))
    end
  end
  local name = check_field("relais.exporter", spec, "name", "string")
  check_name("relais.exporter", name)
  local extension = check_field("relais.exporter", spec, "extension", "string")
  local mime = check_field("relais.exporter", spec, "mime", "string", true) or "text/plain"
  check_field("relais.exporter", spec, "event", "function")
  check_field("relais.exporter", spec, "header", "function", true)
  check_field("relais.exporter", spec, "footer", "function", true)
  local description = check_field("relais.exporter", spec, "description", "string", true) or ""
  if exporters[name] then fail(format("relais.exporter: an exporter named '%s' is already defined", name)) end
  exporters[name] = { header = spec.header, event = spec.event, footer = spec.footer }
  exporter_places[name] = where()
  host.register("exporter", name, extension, mime, description)
end

local topics = { ["event.added"] = true, ["event.updated"] = true, ["event.rescheduled"] = true, ["event.cancelled"] = true }
function relais.on(topic, fn)
  check("relais.on", 1, topic, "string")
  check("relais.on", 2, fn, "function")
  if not topics[topic] then
    fail(format("relais.on: unknown event '%s' (expected event.added, event.updated, event.rescheduled or event.cancelled)", topic))
  end
  local list = handlers[topic]
  if not list then list = {}; handlers[topic] = list end
  list[#list + 1] = fn
  host.register("handler", topic)
end

local digest_places = {}
function relais.digest(spec)
  check("relais.digest", 1, spec, "table")
  for key in pairs(spec) do
    if key ~= "name" and key ~= "build" and key ~= "description" then
      fail(format("relais.digest: unknown field '%s' (expected name, build, description)", tostring(key)))
    end
  end
  local name = check_field("relais.digest", spec, "name", "string")
  check_name("relais.digest", name)
  check_field("relais.digest", spec, "build", "function")
  local description = check_field("relais.digest", spec, "description", "string", true) or ""
  if digests[name] then fail(format("relais.digest: a digest named '%s' is already defined", name)) end
  digests[name] = spec
  digest_places[name] = where()
  host.register("digest", name, description)
end

-- relais.notify{channel=, to=, subject=, body=, html=, key=, headers=}: queues a delivery.
-- In a change handler it is queued with the handler's change (committed together with the
-- handler's cursor); in a `relais run` script, at once (a key is then required).
local channels = { webhook = true, sendmail = true, file = true }
function relais.notify(spec)
  check("relais.notify", 1, spec, "table")
  local channel = check_field("relais.notify", spec, "channel", "string")
  if not channels[channel] then
    fail(format("relais.notify: unknown channel '%s' (expected webhook, sendmail or file)", channel))
  end
  local to = check_field("relais.notify", spec, "to", "string")
  local subject = check_field("relais.notify", spec, "subject", "string", true)
  local body = spec.body
  if type(body) == "table" then
    body = relais.json.encode(body)
  elseif type(body) ~= "string" then
    fail(format("relais.notify: field 'body' must be a string or a table, got %s", type(body)))
  end
  local html = check_field("relais.notify", spec, "html", "string", true)
  local key = check_field("relais.notify", spec, "key", "string", true)
  local headers = check_field("relais.notify", spec, "headers", "table", true)
  local flat = {}
  if headers then
    local names = {}
    for name, value in pairs(headers) do
      if type(name) ~= "string" or not find(name, "^[%w!#$%%&'*+.^_`|~-]+$") then
        fail(format("relais.notify: header name %s is not a valid header name", tostring(name)))
      end
      if type(value) ~= "string" then
        fail(format("relais.notify: header '%s' must be a string, got %s", name, type(value)))
      end
      if find(value, "[\r\n]") then fail(format("relais.notify: header '%s' must not contain a line break", name)) end
      names[#names + 1] = name
    end
    sort(names)
    for _, name in ipairs(names) do flat[#flat + 1] = name; flat[#flat + 1] = headers[name] end
  end
  host.notify(channel, to, subject, body, html, key, concat(flat, "\n"))
end

-- relais.secret(name): the plugin's own secret `name`, from the environment
-- (RELAIS_SECRET_<PLUGIN>_<NAME>) or the configuration file; nil when it has none.
function relais.secret(name)
  check("relais.secret", 1, name, "string")
  if not find(name, "^[%w_-]+$") then fail("relais.secret: a secret name is letters, digits, - and _") end
  return host.secret(name)
end

-- Lists of strings cross to the host joined with the unit separator.
local function string_list(fname, key, value)
  if value == nil then return nil end
  if type(value) == "string" then return value end
  if type(value) ~= "table" then
    fail(format("%s: field '%s' must be a string or a list of strings, got %s", fname, key, type(value)))
  end
  local items = {}
  for index, item in ipairs(value) do
    if type(item) ~= "string" then
      fail(format("%s: field '%s' must be a list of strings (item %d is a %s)", fname, key, index, type(item)))
    end
    items[index] = item
  end
  return concat(items, "\31")
end

local event_keys = { region = true, kind = true, lab = true, from = true, to = true, status = true, online = true, text = true, limit = true, starting = true }
local event_keys_text = "region, kind, lab, from, to, status, online, text, limit, starting"
-- Checks `options` for `fname` against `allowed` (a set, and its names for messages).
local function check_options(fname, options, allowed, allowed_text)
  if options == nil then return {} end
  check(fname, 1, options, "table")
  for key in pairs(options) do
    if not allowed[key] then
      fail(format("%s: unknown option '%s' (expected %s)", fname, tostring(key), allowed_text))
    end
  end
  check_field(fname, options, "from", "string", true)
  check_field(fname, options, "to", "string", true)
  check_field(fname, options, "online", "boolean", true)
  check_field(fname, options, "text", "string", true)
  check_field(fname, options, "limit", "number", true)
  return options
end
local function open_events(fname, options, from, to)
  check_field(fname, options, "starting", "boolean", true)
  local handle = host.events_open(
    string_list(fname, "region", options.region), string_list(fname, "kind", options.kind),
    string_list(fname, "lab", options.lab), from or options.from, to or options.to,
    string_list(fname, "status", options.status), options.online, options.text, options.limit, options.starting)
  local events_next = host.events_next
  return function() return events_next(handle) end
end
function relais.events(options)
  options = check_options("relais.events", options, event_keys, event_keys_text)
  return open_events("relais.events", options)
end

-- relais.now(): the current time in Paris (`--now` / $RELAIS_NOW when pinned).
function relais.now() return host.now() end

-- Weeks, for digests: week.id, week.start, week["end"], week.title, week.previous,
-- week.next, week:events{}, week:changes{}, week:upcoming{}.
local week_keys = { region = true, kind = true, lab = true, status = true, online = true, text = true, limit = true, starting = true }
local week_keys_text = "region, kind, lab, status, online, text, limit, starting"
local change_keys = { region = true, kind = true, lab = true, status = true, online = true, text = true, change = true, limit = true }
local change_keys_text = "region, kind, lab, status, online, text, change, limit"
local upcoming_keys = { region = true, kind = true, lab = true, status = true, online = true, text = true, limit = true, days = true, starting = true }
local upcoming_keys_text = "region, kind, lab, status, online, text, limit, days, starting"
local week_methods = {}
local make_week
local week_meta = {
  __index = function(week, key)
    if key == "previous" or key == "next" then
      local other = make_week(rawget(week, key == "previous" and "_previous" or "_next"))
      rawset(week, key, other)
      return other
    end
    return week_methods[key]
  end,
  __tostring = function(week) return rawget(week, "id") end,
}
function make_week(id)
  local week_id, start, finish, title, previous, following, year, number = host.week_info(id)
  local days = {}
  for index = 0, 6 do days[index + 1] = host.date_add(start, index) end
  return setmetatable({
    id = week_id, start = start, ["end"] = finish, title = title, year = year, number = number, days = days,
    _previous = previous, _next = following,
  }, week_meta)
end
local function collect(iterator)
  local list = {}
  for item in iterator do list[#list + 1] = item end
  return list
end
local function check_week(fname, week)
  if type(week) ~= "table" or getmetatable(week) ~= week_meta then
    fail(format("%s: call it with a colon (week:%s{...})", fname, sub(fname, 6)))
  end
end
function week_methods.events(week, options)
  check_week("week:events", week)
  options = check_options("week:events", options, week_keys, week_keys_text)
  return collect(open_events("week:events", options, week.start, week["end"]))
end
function week_methods.upcoming(week, options)
  check_week("week:upcoming", week)
  options = check_options("week:upcoming", options, upcoming_keys, upcoming_keys_text)
  local days = options.days
  if days == nil then days = 14 end
  if math_type(days) ~= "integer" or days < 1 or days > 366 then
    fail("week:upcoming: days must be a whole number from 1 to 366")
  end
  return collect(open_events("week:upcoming", options, week.start, host.date_add(week.start, days - 1)))
end
function week_methods.changes(week, options)
  check_week("week:changes", week)
  options = check_options("week:changes", options, change_keys, change_keys_text)
  local handle = host.changes_open(week.id,
    string_list("week:changes", "region", options.region), string_list("week:changes", "kind", options.kind),
    string_list("week:changes", "lab", options.lab), string_list("week:changes", "status", options.status),
    options.online, options.text, string_list("week:changes", "change", options.change), options.limit)
  local changes_next = host.changes_next
  local list = {}
  while true do
    local kind, sequence, at, after, before = changes_next(handle)
    if kind == nil then break end
    list[#list + 1] = { kind = kind, sequence = sequence, at = at, event = after, after = after, before = before }
  end
  return list
end

-- relais.template(name, context): renders templates/<name>.mustache from the plugin's
-- folder with `context` (a table, as JSON would see it).
function relais.template(name, context)
  check("relais.template", 1, name, "string")
  if context == nil then context = {} end
  check("relais.template", 2, context, "table")
  local ok, encoded = pcall(relais.json.encode, context)
  if not ok then fail("relais.template: the context " .. gsub(tostring(encoded), "^.-relais%.json%.encode: ", "")) end
  return host.template(name, encoded)
end

relais.date = {}
function relais.date.format(time, pattern)
  check("relais.date.format", 1, time, "string")
  check("relais.date.format", 2, pattern, "string", true)
  return host.date_format(time, pattern)
end
-- relais.date.slot(slot [, {year=false}]): a slot in French words; without the year
-- (digests) unless the slot runs into another year.
function relais.date.slot(slot, options)
  check("relais.date.slot", 1, slot, "table")
  check("relais.date.slot", 2, options, "table", true)
  local start = check_field("relais.date.slot", slot, "start", "string")
  local finish = check_field("relais.date.slot", slot, "end", "string", true)
  local year = true
  if options then
    for key in pairs(options) do
      if key ~= "year" then fail(format("relais.date.slot: unknown option '%s' (expected year)", tostring(key))) end
    end
    if check_field("relais.date.slot", options, "year", "boolean", true) == false then year = false end
  end
  return host.date_slot(start, finish, year)
end
-- relais.date.span(first_day, last_day [, {year=false}]): "du 17 au 27 novembre 2020".
function relais.date.span(first, last, options)
  check("relais.date.span", 1, first, "string")
  check("relais.date.span", 2, last, "string")
  check("relais.date.span", 3, options, "table", true)
  local year = true
  if options and options.year == false then year = false end
  return host.date_span(first, last, year)
end
function relais.date.week(time)
  check("relais.date.week", 1, time, "string")
  return host.date_week(time)
end

relais.text = {}
function relais.text.fold(text)
  check("relais.text.fold", 1, text, "string")
  return host.fold(text)
end
-- relais.text.words(text): the folded words of `text`, as `relais query --text` sees them.
function relais.text.words(text)
  check("relais.text.words", 1, text, "string")
  local words = {}
  for word in gmatch(host.words(text), "[^\n]+") do words[#words + 1] = word end
  return words
end
function relais.text.matches(text, query)
  check("relais.text.matches", 1, text, "string")
  check("relais.text.matches", 2, query, "string")
  return host.text_matches(text, query)
end

relais.regions = {}
for line in gmatch(host.regions(), "[^\n]+") do
  local code, name = match(line, "^(%d+)=(.*)$")
  relais.regions[code] = name
end
function relais.regions.lookup(text)
  check("relais.regions.lookup", 1, text, "string")
  return host.region_lookup(text)
end

local function render(...)
  local count = select("#", ...)
  local parts = {}
  for index = 1, count do parts[index] = tostring((select(index, ...))) end
  return concat(parts, "\t")
end
function print(...) host.write(render(...), "out") end
function relais.log(...) host.write(render(...), "log") end
relais.exit = host.exit

-- JSON, in Lua so that the limits apply to it like to any script code.
local json = { null = setmetatable({}, { __tostring = function() return "null" end, __metatable = "json.null" }) }
local array_marker = { __metatable = "json.array" }
-- Marks a table to be written as a JSON array even when empty.
function json.array(items)
  if items == nil then items = {} end
  check("relais.json.array", 1, items, "table")
  return setmetatable(items, array_marker)
end
local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function escape_string(text)
  return '"' .. gsub(text, '[%c"\\]', function(c) return escapes[c] or format("\\u%04x", byte(c)) end) .. '"'
end
local function encode_value(value, depth, seen, out)
  local kind = type(value)
  if depth > 100 then fail("relais.json.encode: nesting deeper than 100") end
  if value == nil or rawequal(value, json.null) then out[#out + 1] = "null"
  elseif kind == "boolean" then out[#out + 1] = value and "true" or "false"
  elseif kind == "number" then
    if value ~= value or value == huge or value == -huge then fail("relais.json.encode: cannot encode " .. tostring(value)) end
    out[#out + 1] = math_type(value) == "integer" and format("%d", value) or format("%.14g", value)
  elseif kind == "string" then out[#out + 1] = escape_string(value)
  elseif kind == "table" or kind == "userdata" then
    if seen[value] then fail("relais.json.encode: a table contains itself") end
    seen[value] = true
    local count, keys = 0, {}
    for key in pairs(value) do
      count = count + 1
      keys[count] = key
    end
    local marked = kind == "table" and getmetatable(value) == "json.array"
    local is_array = kind == "table" and (count > 0 or marked)
    if is_array then
      for index = 1, count do
        if rawget(value, index) == nil then is_array = false break end
      end
    end
    if is_array then
      out[#out + 1] = "["
      for index = 1, count do
        if index > 1 then out[#out + 1] = "," end
        encode_value(value[index], depth + 1, seen, out)
      end
      out[#out + 1] = "]"
    elseif kind == "table" and count == 0 then
      out[#out + 1] = "{}"
    else
      for index = 1, count do
        if type(keys[index]) ~= "string" then
          fail("relais.json.encode: object keys must be strings, got " .. type(keys[index]))
        end
      end
      if kind == "table" then sort(keys) end
      out[#out + 1] = "{"
      for index, key in ipairs(keys) do
        if index > 1 then out[#out + 1] = "," end
        out[#out + 1] = escape_string(key)
        out[#out + 1] = ":"
        encode_value(value[key], depth + 1, seen, out)
      end
      out[#out + 1] = "}"
    end
    seen[value] = nil
  else
    fail("relais.json.encode: cannot encode a " .. kind)
  end
end
function json.encode(value)
  local out = {}
  encode_value(value, 0, {}, out)
  return concat(out)
end

function json.decode(text)
  check("relais.json.decode", 1, text, "string")
  local position = 1
  local function decode_error(message)
    fail(format("relais.json.decode: %s at byte %d", message, position))
  end
  local function skip()
    position = find(text, "[^ \t\r\n]", position) or (#text + 1)
  end
  local parse
  local function parse_string()
    local parts = {}
    position = position + 1
    while true do
      local stop = find(text, '["\\]', position)
      if not stop then decode_error("unterminated string") end
      parts[#parts + 1] = sub(text, position, stop - 1)
      if sub(text, stop, stop) == '"' then
        position = stop + 1
        return concat(parts)
      end
      local escape = sub(text, stop + 1, stop + 1)
      local simple = ({ ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" })[escape]
      if simple then
        parts[#parts + 1] = simple
        position = stop + 2
      elseif escape == "u" then
        local hex = sub(text, stop + 2, stop + 5)
        if not find(hex, "^%x%x%x%x$") then decode_error("bad \\u escape") end
        local code = tonumber(hex, 16)
        position = stop + 6
        if code >= 0xD800 and code <= 0xDBFF and sub(text, position, position + 1) == "\\u" then
          local low = tonumber(sub(text, position + 2, position + 5), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
            position = position + 6
          end
        end
        parts[#parts + 1] = utf8_char(code)
      else
        decode_error("bad escape")
      end
    end
  end
  function parse(depth)
    if depth > 100 then decode_error("nesting deeper than 100") end
    skip()
    local c = sub(text, position, position)
    if c == "{" then
      local object = {}
      position = position + 1
      skip()
      if sub(text, position, position) == "}" then position = position + 1 return object end
      while true do
        skip()
        if sub(text, position, position) ~= '"' then decode_error("expected a string key") end
        local key = parse_string()
        skip()
        if sub(text, position, position) ~= ":" then decode_error("expected ':'") end
        position = position + 1
        object[key] = parse(depth + 1)
        skip()
        local separator = sub(text, position, position)
        position = position + 1
        if separator == "}" then return object end
        if separator ~= "," then decode_error("expected ',' or '}'") end
      end
    elseif c == "[" then
      local array = {}
      position = position + 1
      skip()
      if sub(text, position, position) == "]" then position = position + 1 return array end
      while true do
        array[#array + 1] = parse(depth + 1)
        skip()
        local separator = sub(text, position, position)
        position = position + 1
        if separator == "]" then return array end
        if separator ~= "," then decode_error("expected ',' or ']'") end
      end
    elseif c == '"' then
      return parse_string()
    elseif find(text, "^true", position) then position = position + 4 return true
    elseif find(text, "^false", position) then position = position + 5 return false
    elseif find(text, "^null", position) then position = position + 4 return json.null
    else
      local number = match(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", position)
      if not number or number == "" then decode_error("unexpected character") end
      position = position + #number
      local value = tointeger(tonumber(number)) or tonumber(number)
      if value == nil then decode_error("bad number") end
      return value
    end
  end
  local value = parse(0)
  skip()
  if position <= #text then decode_error("trailing characters") end
  return value
end
relais.json = json

relais.args = {}
for index = 1, host.arg_count() do relais.args[index] = host.arg(index) end

-- require: Lua files from the plugin's own folder only (the host checks the path).
local loading = {}
local loaded = {}
function require(name)
  check("require", 1, name, "string")
  local value = loaded[name]
  if value ~= nil then return value end
  if loading[name] then fail(format("require: module '%s' requires itself", name)) end
  local source, chunkname = host.module_source(name)
  local chunk, message = load(source, chunkname, "t")
  if not chunk then error(message, 0) end
  loading[name] = true
  local ok, result = pcall(chunk, name)
  loading[name] = nil
  if not ok then error(result, 0) end
  value = result
  if value == nil then value = true end
  loaded[name] = value
  return value
end

-- xpcall's handler runs after the error has unwound, as ordinary code: Lua runs message
-- handlers with hooks off when the error comes from the instruction-limit hook, so a
-- handler that loops could otherwise never be stopped.
function xpcall(f, handler, ...)
  check("xpcall", 2, handler, "function")
  local results = pack(pcall(f, ...))
  if results[1] then return unpack(results, 1, results.n) end
  return false, handler(results[2])
end

_G.relais = relais

-- Raises the error for a filter that returned `result`, not a boolean.
local function bad_filter_result(name, result)
  error(format("%sfilter '%s' must return a boolean, got %s", filter_places[name] or "", name, type(result)), 0)
end

local function invoke(action, name, event, extra, before)
  if action == "filter" then
    local result = filters[name](event)
    if type(result) ~= "boolean" then bad_filter_result(name, result) end
    return result
  elseif action == "header" or action == "event" or action == "footer" then
    local exporter = exporters[name]
    local fn = exporter[action]
    if fn == nil then return nil end
    local result
    if action == "event" then result = fn(event) else result = fn() end
    if result ~= nil and type(result) ~= "string" then
      error(format("%sexporter '%s': %s must return a string or nil, got %s", exporter_places[name] or "", name, action,
        type(result)), 0)
    end
    return result
  elseif action == "handler" then
    -- name: the topic; event: the event after the change; extra: kind, sequence, time
    -- and source, one per line; before: the event before (nil when added).
    local kind, sequence, at, source = match(extra, "^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$")
    local list = handlers[name] or {}
    for _, fn in ipairs(list) do
      fn({ kind = kind, sequence = tonumber(sequence), at = at, source = source, after = event, before = before })
    end
    return nil
  elseif action == "digest" then
    local spec = digests[name]
    local result = spec.build(make_week(extra))
    local place = digest_places[name] or ""
    local function bad(message) error(format("%sdigest '%s': %s", place, name, message), 0) end
    if result == nil then return nil end
    if type(result) ~= "table" then bad("build must return a table {subject=, markdown= or text=, to=} or nil, got " .. type(result)) end
    local out = {}
    for key, value in pairs(result) do
      if key ~= "subject" and key ~= "text" and key ~= "markdown" and key ~= "html" and key ~= "to" and key ~= "channel" then
        bad(format("build returned an unknown field '%s' (expected subject, text, markdown, html, to, channel)", tostring(key)))
      end
      if key ~= "to" and type(value) ~= "string" then bad(format("field '%s' must be a string, got %s", key, type(value))) end
      out[key] = value
    end
    if out.subject == nil then bad("build returned no subject") end
    if out.text == nil and out.markdown == nil then bad("build returned neither text nor markdown") end
    local to = result.to
    if type(to) == "string" then
      out.to = { to }
    elseif type(to) == "table" then
      local list = {}
      for index, item in ipairs(to) do
        if type(item) ~= "string" then bad(format("field 'to' must be a list of strings (item %d is a %s)", index, type(item))) end
        list[index] = item
      end
      out.to = json.array(list)
    elseif to ~= nil then
      bad("field 'to' must be a string or a list of strings, got " .. type(to))
    end
    return json.encode(out)
  elseif action == "manifest" then
    local chunk, message = load(extra, name, "t", {})
    if not chunk then error(message, 0) end
    local manifest = chunk()
    if type(manifest) ~= "table" then
      error(format("%s: must return a table, got %s", sub(name, 2), type(manifest)), 0)
    end
    return json.encode(manifest)
  end
  error("unknown action " .. tostring(action), 0)
end

return { invoke = invoke, filters = filters, bad_filter_result = bad_filter_result }
"""#
