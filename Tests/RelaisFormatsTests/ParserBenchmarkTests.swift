import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

/// Compares JSON parsers on synthetic event lines; the figures in
/// ``InterchangeJSONParser``'s documentation come from here. Off by default (it is slow in
/// debug builds and only meaningful in release):
///
///     RELAIS_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --filter ParserBenchmark
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RELAIS_BENCHMARK"] != nil, "set RELAIS_BENCHMARK=1"))
struct ParserBenchmarkTests {
    /// `JSONDecoder`'s route to an ``InterchangeValue``: probing each value's type costs a
    /// thrown error per failed guess, which is what makes it slow.
    struct DecodableValue: Decodable {
        let value: InterchangeValue

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer() {
                if let text = try? single.decode(String.self) {
                    value = .string(text)
                    return
                }
                if single.decodeNil() {
                    value = .null
                    return
                }
                if let flag = try? single.decode(Bool.self) {
                    value = .bool(flag)
                    return
                }
                if let number = try? single.decode(Double.self) {
                    value = .number(number)
                    return
                }
            }
            if let keyed = try? decoder.container(keyedBy: Key.self) {
                var object: [String: InterchangeValue] = [:]
                for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(DecodableValue.self, forKey: key).value }
                value = .object(object)
                return
            }
            var unkeyed = try decoder.unkeyedContainer()
            var items: [InterchangeValue] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(DecodableValue.self).value) }
            value = .array(items)
        }
    }

    static func convert(_ any: Any) -> InterchangeValue {
        switch any {
        case let flag as Bool where type(of: any) == Bool.self: .bool(flag)
        case let text as String: .string(text)
        case let object as [String: Any]: .object(object.mapValues(convert))
        case let array as [Any]: .array(array.map(convert))
        case let number as NSNumber: .number(number.doubleValue)
        default: .null
        }
    }

    static func lines(_ count: Int) -> [[UInt8]] {
        let kinds: [EventKind] = [.webinar, .workshop, .hackathon, .training, .conference, .roundTable, .forum]
        let regions = ["75", "53", "32", "11", "76", "84", "93"]
        return (0..<count).map { index in
            let day = 1 + index % 28
            let date = "2020-11-\(day < 10 ? "0" : "")\(day)"
            let event = Event(
                id: "evt-\(index)", title: "Atelier « innovation publique » numéro \(index) : co-design des services",
                kind: kinds[index % kinds.count],
                slots: [Slot(start: Samples.time("\(date)T09:30:00+01:00"), end: Samples.time("\(date)T11:30:00+01:00"))],
                region: Region(code: regions[index % regions.count]), online: index % 2 == 0, lab: "la-base",
                organizer: "Région \(index % 13)", place: "En ligne", url: "https://example.org/e/\(index)",
                audience: ["agents", "public"], tags: ["design", "numérique", "données"],
                description: "Un atelier pour découvrir les méthodes de l’innovation publique, avec des \"guillemets\" et une ligne\nde plus.")
            return Array(EventJSONWriting.json(event).utf8)
        }
    }

    func measure(_ name: String, count: Int, _ body: () throws -> Void) rethrows {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            try body()
            best = min(best, Date().timeIntervalSince(start))
        }
        print("\(name): \(Int(Double(count) / best)) records/s")
    }

    @Test func compareParsers() throws {
        let count = 100_000
        let lines = Self.lines(count)
        let datas = lines.map { Data($0) }
        var fields = 0
        try measure("InterchangeJSONParser", count: count) {
            for line in lines {
                let value = try line.withUnsafeBufferPointer { try InterchangeJSONParser.parse($0) }
                if case .object(let object) = value { fields += object.count }
            }
        }
        try measure("JSONDecoder + Decodable wrapper", count: count) {
            let decoder = JSONDecoder()
            for data in datas {
                if case .object(let object) = try decoder.decode(DecodableValue.self, from: data).value { fields += object.count }
            }
        }
        try measure("JSONSerialization + conversion", count: count) {
            for data in datas {
                if case .object(let object) = Self.convert(try JSONSerialization.jsonObject(with: data)) { fields += object.count }
            }
        }
        #expect(fields == 9 * 14 * count)
    }
}
