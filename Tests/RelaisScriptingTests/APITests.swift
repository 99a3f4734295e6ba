import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

@Suite struct EventsAPITests {
    /// Runs `relais.events(<options>)` for each options text and returns the ids, one line each.
    private func ids(for options: [String], events: [Event] = sampleEvents) throws -> [String] {
        let calls = options.map { "show(\($0))" }.joined(separator: "\n")
        let outcome = try runScript(
            """
            local function show(options)
              local ids = {}
              for e in relais.events(options) do ids[#ids + 1] = e.id end
              print(table.concat(ids, ","))
            end
            \(calls)
            """, events: MemoryEventSource(events))
        #expect(outcome.status == 0, "\(outcome.message)")
        return outcome.lines
    }

    @Test func everyOptionFilters() throws {
        let cases: [(String, String)] = [
            ("nil", "mip-001,mip-002,mip-003,mip-004"),
            ("{}", "mip-001,mip-002,mip-003,mip-004"),
            (#"{ region = "75" }"#, "mip-001,mip-004"),
            (#"{ region = "bretagne" }"#, "mip-003"),
            (#"{ region = "Nouvelle-Aquitaine" }"#, "mip-001,mip-004"),
            (#"{ region = { "75", "53" } }"#, "mip-001,mip-003,mip-004"),
            (#"{ region = "national" }"#, "mip-002"),
            (#"{ kind = "webinar" }"#, "mip-002"),
            (#"{ kind = { "forum", "hackathon" } }"#, "mip-003,mip-004"),
            (#"{ lab = "la-base" }"#, "mip-001,mip-004"),
            (#"{ lab = { "ti-lab", "nowhere" } }"#, "mip-003"),
            (#"{ from = "2020-11-17" }"#, "mip-003,mip-004"),
            (#"{ to = "2020-11-12" }"#, "mip-001,mip-002"),
            (#"{ from = "2020-11-20", to = "2020-11-25" }"#, "mip-003"),
            (#"{ from = "2020-11-19", to = "2020-11-19" }"#, "mip-003"),
            (#"{ status = "cancelled" }"#, "mip-003"),
            (#"{ status = { "postponed", "cancelled" } }"#, "mip-003,mip-004"),
            (#"{ online = true }"#, "mip-002,mip-004"),
            (#"{ online = false }"#, "mip-001,mip-003"),
            (#"{ text = "coeur numerique" }"#, "mip-004"),
            (#"{ text = "numerique" }"#, "mip-002,mip-004"),
            (#"{ text = "ATELIER" }"#, "mip-001"),
            (#"{ text = "   " }"#, "mip-001,mip-002,mip-003,mip-004"),
            (#"{ limit = 2 }"#, "mip-001,mip-002"),
            (#"{ region = "75", online = true, kind = "forum", status = "postponed", lab = "la-base" }"#, "mip-004"),
            (#"{ region = "11" }"#, ""),
        ]
        let lines = try ids(for: cases.map(\.0))
        #expect(lines.count == cases.count)
        for (index, (options, expected)) in cases.enumerated() where index < lines.count {
            #expect(lines[index] == expected, "relais.events(\(options))")
        }
    }

    @Test func iterationPagesThroughLargeCatalogues() throws {
        // 600 events, three per start time so that paging must break ties by id.
        var events: [Event] = []
        for index in 0..<600 {
            let hour = 8 + (index / 3) / 60
            let minute = (index / 3) % 60
            let start = String(format: "2020-11-10T%02d:%02d", hour, minute)
            events.append(makeEvent(String(format: "p-%04d", index), slots: [(start, nil)], region: index % 2 == 0 ? "75" : "53"))
        }
        let source = MemoryEventSource(events.shuffled())
        let outcome = try runScript(
            """
            local seen, previous, ordered = 0, "", true
            for e in relais.events() do
              seen = seen + 1
              if e.id <= previous then ordered = false end
              previous = e.id
            end
            print(seen, ordered, previous)
            local half = 0
            for e in relais.events{ region = "75" } do half = half + 1 end
            print(half)
            local limited = 0
            for e in relais.events{ limit = 300 } do limited = limited + 1 end
            print(limited)
            local a, b = relais.events{ limit = 1000 }, relais.events{ region = "53" }
            local x, y = 0, 0
            while true do
              local ea, eb = a(), b()
              if ea then x = x + 1 end
              if eb then y = y + 1 end
              if not ea and not eb then break end
            end
            print(x, y)
            """, limits: ScriptLimits(instructions: 20_000_000, memory: 16 << 20), events: source)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["600\ttrue\tp-0599", "300", "300", "600\t300"])
        let afters = source.queries.compactMap(\.after)
        #expect(source.queries.count >= 3 + 2 + 2 + 5)
        #expect(afters.count >= 2, "paging never used `after`")
        #expect(afters.contains { $0.id == "p-0255" }, "\(afters.map(\.id))")
    }

    @Test func eventViewFieldsAndTypes() throws {
        let outcome = try runScript(
            """
            for e in relais.events{ limit = 1 } do
              print(type(e), tostring(e))
              print(e.id, e.title, e.kind, e.status, e.region, e.online, type(e.online))
              print(type(e.slots), #e.slots, e.slots[1].start, e.slots[1]["end"])
              print(type(e.tags), table.concat(e.tags, "|"), table.concat(e.audience, "|"))
              print(e.lab, e.organizer, e.place, e.url, e.contact, e.description)
              print(e.nope, e[1], e[true])
              local keys = {}
              for k, v in pairs(e) do keys[#keys + 1] = k .. ":" .. type(v) end
              print(table.concat(keys, ","))
            end
            for e in relais.events{ kind = "webinar" } do
              print(e.region, e.lab, e.organizer, e.place, e.url, e.contact, e.description, e.online)
              print(#e.tags, #e.audience, #e.slots, e.slots[1].start, e.slots[1]["end"])
              local keys = {}
              for k in pairs(e) do keys[#keys + 1] = k end
              print(table.concat(keys, ","))
            end
            for e in relais.events{ kind = "hackathon" } do
              print(e.status, e.region, #e.slots, e.slots[1].start, e.slots[1]["end"], e.slots[2].start, e.slots[2]["end"])
            end
            """, events: MemoryEventSource(sampleEvents))
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(
            outcome.lines == [
                "userdata\tevent mip-001",
                "mip-001\tAtelier design des politiques publiques\tworkshop\tscheduled\t75\tfalse\tboolean",
                "table\t1\t2020-11-10T09:30:00+01:00\t2020-11-10T11:30:00+01:00",
                "table\tdesign|agents\tagents|élus",
                "la-base\tLa Base\tPoitiers\thttps://example.org/1\tcontact@example.org\tUn atelier pour les agents",
                "nil\tnil\tnil",
                "id:string,title:string,kind:string,status:string,slots:table,region:string,online:boolean,lab:string,"
                    + "organizer:string,place:string,url:string,contact:string,audience:table,tags:table,description:string",
                "nil\tnil\tnil\tnil\tnil\tnil\tnil\ttrue",
                "0\t0\t1\t2020-11-12T14:00:00+01:00\tnil",
                "id,title,kind,status,slots,online",
                "cancelled\t53\t2\t2020-11-17\t2020-11-19\t2020-11-24\tnil",
            ])
    }

    @Test func viewsStayValidAfterTheLoopAndCanBeEncoded() throws {
        let outcome = try runScript(
            """
            local kept = {}
            for e in relais.events() do kept[#kept + 1] = e end
            print(#kept, kept[1].id, kept[4].title)
            print(relais.json.encode(kept[2]))
            """, events: MemoryEventSource(sampleEvents))
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 2)
        #expect(outcome.lines.first == "4\tmip-001\tForum de l'innovation")
        #expect(
            outcome.lines.last
                == #"{"id":"mip-002","title":"Webinaire sobriété numérique","kind":"webinar","status":"scheduled","slots":[{"start":"2020-11-12T14:00:00+01:00"}],"online":true}"#)
    }

    /// Lists cross to Lua joined with the unit separator (0x1F): a tag that contains that
    /// byte must still arrive as one tag, and changing the list a view returns changes nothing.
    @Test func listFieldsKeepEveryItemIntact() throws {
        let event = makeEvent(
            "odd-tags", audience: ["agents publics"], tags: ["a\u{1F}b", "semicolon;inside", "émoji 🎉"])
        let outcome = try runScript(
            """
            local e = relais.events()()
            print(#e.tags, #e.audience, e.tags[3])
            local tags = e.tags
            tags[1] = "changed"
            print(e.tags[1] == "changed", #e.slots, e.slots == e.slots)
            """, events: MemoryEventSource([event]))
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.first == "3\t1\témoji 🎉", "\(outcome.lines)")
        #expect(outcome.lines.last == "false\t1\tfalse", "\(outcome.lines)")
    }

    @Test func eventsWithoutACatalogueIsAClearError() throws {
        let outcome = try runScript("local x = 1\nfor e in relais.events() do end\n")
        expectFailure(outcome, "script.lua:2:", "relais.events: no catalogue is open")
    }

    @Test func eventsLimitMustBePositive() throws {
        let outcome = try runScript("for e in relais.events{ limit = 0 } do end\n", events: MemoryEventSource(sampleEvents))
        expectFailure(outcome, "script.lua:1:", "limit must be a positive integer")
    }

    /// An iteration the script abandons must not keep its page of events in the host: the
    /// host's memory is not charged to the script's budget, so it has to stay bounded.
    @Test func abandonedIterationsDoNotAccumulateInTheHost() throws {
        var events: [Event] = []
        for index in 0..<300 { events.append(makeEvent(String(format: "a-%04d", index))) }
        let folder = try ScriptFolder()
        let runtime = try ScriptRuntime(
            name: "leak.lua", origin: ScriptOrigin(pluginID: nil, folder: folder.scripts), limits: smallLimits,
            events: MemoryEventSource(events), write: { _, _ in })
        let outcome = try runtime.lua.run(
            """
            for i = 1, 200 do
              local next_event = relais.events()
              local first = next_event()
            end
            return 0
            """, chunkname: "@leak.lua")
        #expect(outcome == .number(0))
        let cursors = Mirror(reflecting: runtime).children.first { $0.label == "cursors" }.map {
            Mirror(reflecting: $0.value).children.count
        }
        #expect(cursors != nil, "ScriptRuntime no longer has `cursors`; update this test")
        #expect((cursors ?? 0) <= 1, "\(cursors ?? 0) abandoned iterations still hold a page of events each")
    }
}

@Suite struct LibraryAPITests {
    @Test func dateFormattingIsFrench() throws {
        let outcome = try runScript(
            """
            print(relais.date.format("2020-11-10T09:30"))
            print(relais.date.format("2020-11-10T09:30:00+01:00"))
            print(relais.date.format("2020-11-10T08:30:00Z"))
            print(relais.date.format("2020-11-10T09:30", "%A %d %B, %h"))
            print(relais.date.format("2020-11-01"))
            print(relais.date.format("2020-11-10T14:00", "%d %B à %h (%H:%M) %% %Y-%m %e"))
            print(relais.date.format("2020-11-17", "%A %e %B %h"))
            print(relais.date.slot{ start = "2020-11-10T09:30", ["end"] = "2020-11-10T11:30" })
            print(relais.date.slot{ start = "2020-11-17", ["end"] = "2020-11-27" })
            print(relais.date.slot{ start = "2020-11-24" })
            print(relais.date.slot{ start = "2020-11-30", ["end"] = "2020-12-02" })
            print(relais.date.week("2020-11-17"), relais.date.week("2021-01-01"))
            print(relais.date.format("2020-07-14T12:00"))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(
            outcome.lines == [
                "mardi 10 novembre 2020, 9h30",
                "mardi 10 novembre 2020, 9h30",
                "mardi 10 novembre 2020, 9h30",
                "mardi 10 novembre, 9h30",
                "dimanche 1er novembre 2020",
                "10 novembre à 14h (14:00) % 2020-11 10",
                "mardi 17 novembre ",
                "mardi 10 novembre 2020, 9h30–11h30",
                "du 17 au 27 novembre 2020",
                "le 24 novembre 2020",
                "du 30 novembre au 2 décembre 2020",
                "2020-W47\t2020-W53",
                "mardi 14 juillet 2020, 12h",
            ])
    }

    @Test func textFoldingAndMatching() throws {
        let outcome = try runScript(
            """
            print(relais.text.fold("Événement CŒUR d’Île-de-France"))
            print(relais.text.fold("ascii ONLY"), relais.text.fold(""))
            print(relais.text.matches("Innovations numériques responsables", "numerique innov"))
            print(relais.text.matches("Innovations numériques", "numerique design"))
            print(#relais.text.fold("a\\0b"))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["evenement coeur d'ile-de-france", "ascii only\t", "true", "false", "3"])
    }

    /// The words a script sees are those `relais query --text` sees, in any alphabet.
    @Test func textWordsSplitLikeTheTextSearch() throws {
        let samples = ["Design d’État, Łódź", "Søren — «sciences comportementales»", "", "  42 ateliers ", "Ελληνικά κείμενα"]
        let outcome = try runScript(
            samples.map { #"print(table.concat(relais.text.words("\#($0)"), "|"))"# }.joined(separator: "\n")
                + "\nprint(pcall(relais.text.words, 42))")
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(Array(outcome.lines.prefix(samples.count)) == samples.map { TextFolding.words($0).joined(separator: "|") })
        #expect(outcome.lines[0] == "design|d|etat|łodz")
        let refusal = outcome.lines.last ?? ""
        #expect(refusal.hasPrefix("false\t") && refusal.contains("relais.text.words: argument #1 must be a string"), "\(refusal)")
    }

    @Test func jsonRoundTrip() throws {
        let outcome = try runScript(
            #"""
            local json = relais.json
            local text = [=[{"a":[1,2.5,{"b":null}],"s":"\u00e9t\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t","t":true,"f":false,"e":{},"n":-12e2,"deep":[[[["x"]]]]}]=]
            local v = json.decode(text)
            print(v.s == "été 😀 \"q\" \\ / \n\t", v.a[1], v.a[2], v.a[3].b == json.null, v.t, v.f, v.n, math.type(v.a[1]))
            print(tostring(json.null), getmetatable(json.null), v.deep[1][1][1][1])
            local encoded = json.encode(v)
            print(encoded)
            local again = json.decode(encoded)
            print(again.s == v.s, again.a[3].b == json.null, json.encode(again) == encoded)
            print(json.encode({ 1, "two", true, json.null, { x = 1 } }))
            print(json.encode("\1\31\127"), json.encode(0.1), json.encode(-0), json.encode(1e300), json.encode(nil))
            print(json.encode({}), json.encode({ [1] = "a", [2] = "b" }), json.encode({ z = 1, a = 2, m = { 3 } }))
            print(pcall(json.encode, { [1] = "a", [3] = "c" }))
            print(pcall(json.encode, 0/0))
            print(pcall(json.decode, "[1,]"))
            print(pcall(json.decode, '"\\x"'))
            print(pcall(json.decode, "[1] 2"))
            print(pcall(json.decode, string.rep("[", 200) .. string.rep("]", 200)))
            print(json.decode("  42  "), json.decode('"\\u0041"'), json.decode("[]")[1])
            """#)
        #expect(outcome.status == 0, "\(outcome.message)")
        let lines = outcome.lines
        #expect(lines.count == 14, "\(lines)")
        guard lines.count == 14 else { return }
        #expect(lines[0] == "true\t1\t2.5\ttrue\ttrue\tfalse\t-1200\tinteger")
        #expect(lines[1] == "null\tjson.null\tx")
        #expect(
            lines[2]
                == #"{"a":[1,2.5,{"b":null}],"deep":[[[["x"]]]],"e":{},"f":false,"n":-1200,"s":"été 😀 \"q\" \\ / \n\t","t":true}"#,
            "\(lines[2])")
        #expect(lines[3] == "true\ttrue\ttrue")
        #expect(lines[4] == #"[1,"two",true,null,{"x":1}]"#)
        #expect(lines[5] == [#""\u0001\u001f\u007f""#, "0.1", "0", "1e+300", "null"].joined(separator: "\t"))
        #expect(lines[6] == ["{}", #"["a","b"]"#, #"{"a":2,"m":[3],"z":1}"#].joined(separator: "\t"))
        #expect(lines[7].hasPrefix("false\t") && lines[7].contains("object keys must be strings"), "\(lines[7])")
        #expect(lines[8].hasPrefix("false\t") && lines[8].contains("cannot encode"), "\(lines[8])")
        #expect(lines[9].hasPrefix("false\t") && lines[9].contains("relais.json.decode"), "\(lines[9])")
        #expect(lines[10].hasPrefix("false\t") && lines[10].contains("bad escape"), "\(lines[10])")
        #expect(lines[11].hasPrefix("false\t") && lines[11].contains("trailing characters"), "\(lines[11])")
        #expect(lines[12].hasPrefix("false\t") && lines[12].contains("nesting deeper than 100"), "\(lines[12])")
        #expect(lines[13] == "42\tA\tnil")
    }

    @Test func jsonArraysStayArraysWhenEmpty() throws {
        let outcome = try runScript(
            """
            local json = relais.json
            print(json.encode(json.array()), json.encode(json.array({ 1, 2 })), json.encode({ list = json.array() }))
            print(json.encode({}), getmetatable(json.array()))
            print(pcall(json.array, "x"))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 3)
        #expect(outcome.lines.first == ["[]", "[1,2]", #"{"list":[]}"#].joined(separator: "\t"))
        #expect(outcome.lines.dropFirst().first == "{}\tjson.array")
        #expect(outcome.lines.last?.contains("relais.json.array: argument #1 must be a table, got string") == true)
    }

    @Test func relaisPluginDescribesThePluginOnly() throws {
        let script = try runScript("print(relais.plugin)")
        #expect(script.lines == ["nil"], "\(script.message)")
        let folders = try PluginFolders()
        try folders.add(
            "la-base",
            manifest: .some(#"return { name = "La Base", version = "2.0", region = "75", lab = "la-base" }"#),
            initSource: """
                local p = relais.plugin
                relais.filter("info", function(e)
                  return p.id == "la-base" and p.name == "La Base" and p.version == "2.0" and p.region == "75"
                    and p.lab == "la-base"
                end)
                """)
        #expect(try folders.host().predicate(for: "la-base.info")(sampleEvents[0]) == true)
    }

    @Test func regionsTable() throws {
        let outcome = try runScript(
            """
            print(relais.regions["75"], relais.regions["53"], relais.regions["04"], relais.regions["99"])
            local count = 0
            for code, name in pairs(relais.regions) do
              if type(name) == "string" then count = count + 1 end
            end
            print(count)
            print(relais.regions.lookup("ile de france"))
            print(relais.regions.lookup("PACA"))
            print(relais.regions.lookup("atlantide"))
            print(type(relais.version), relais.version)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(
            outcome.lines == [
                "Nouvelle-Aquitaine\tBretagne\tLa Réunion\tnil",
                "18",
                "11\tÎle-de-France",
                "93\tProvence-Alpes-Côte d’Azur",
                "nil",
                "string\trelais 0.1",
            ])
    }

    static let registrationErrors: [FailingScript] = [
        FailingScript(
            name: "exporter without name",
            source: #"relais.exporter{ extension = "txt", event = function() end } -- HERE"#,
            expected: ["relais.exporter: field 'name' must be a string, got nil"]),
        FailingScript(
            name: "exporter without extension",
            source: #"relais.exporter{ name = "agenda", event = function() end } -- HERE"#,
            expected: ["relais.exporter: field 'extension' must be a string, got nil"]),
        FailingScript(
            name: "exporter without event",
            source: #"relais.exporter{ name = "agenda", extension = "txt" } -- HERE"#,
            expected: ["relais.exporter: field 'event' must be a function, got nil"]),
        FailingScript(
            name: "exporter with an unknown field",
            source: #"relais.exporter{ name = "agenda", extension = "txt", event = print, colour = "blue" } -- HERE"#,
            expected: ["relais.exporter: unknown field 'colour'"]),
        FailingScript(
            name: "exporter with a bad name",
            source: #"relais.exporter{ name = "mon agenda", extension = "txt", event = print } -- HERE"#,
            expected: ["relais.exporter: name 'mon agenda' must use only letters"]),
        FailingScript(
            name: "exporter with a bad header",
            source: #"relais.exporter{ name = "agenda", extension = "txt", event = print, header = "BEGIN" } -- HERE"#,
            expected: ["relais.exporter: field 'header' must be a function, got string"]),
        FailingScript(
            name: "exporter that is not a table",
            source: #"relais.exporter("agenda") -- HERE"#,
            expected: ["relais.exporter: argument #1 must be a table, got string"]),
        FailingScript(
            name: "duplicate exporter",
            source: """
                relais.exporter{ name = "agenda", extension = "txt", event = print }
                relais.exporter{ name = "agenda", extension = "md", event = print } -- HERE
                """, expected: ["relais.exporter: an exporter named 'agenda' is already defined"]),
        FailingScript(
            name: "duplicate filter",
            source: """
                relais.filter("agents", function(e) return true end)
                relais.filter("agents", function(e) return false end) -- HERE
                """, expected: ["relais.filter: a filter named 'agents' is already defined"]),
        FailingScript(
            name: "filter without a function",
            source: #"relais.filter("agents", true) -- HERE"#,
            expected: ["relais.filter: argument #2 must be a function, got boolean"]),
        FailingScript(
            name: "filter with a dotted name",
            source: #"relais.filter("la.base", function() return true end) -- HERE"#,
            expected: ["relais.filter: name 'la.base' must use only letters"]),
        FailingScript(
            name: "digest without build",
            source: #"relais.digest{ name = "weekly" } -- HERE"#,
            expected: ["relais.digest: field 'build' must be a function, got nil"]),
    ]

    @Test(arguments: registrationErrors)
    func registrationsAreValidated(_ script: FailingScript) throws {
        let outcome = try runScript(script.source)
        expectFailure(outcome, "script.lua:\(line(of: "-- HERE", in: script.source)):")
        for fragment in script.expected { expectFailure(outcome, fragment) }
    }
}
