import Foundation
import Mustache
import RelaisCore
import RelaisScripting

/// `relais.template(name, context)`: Mustache templates kept in a plugin's `templates/`
/// folder, rendered with swift-mustache so a coordinator edits wording without touching Lua.
///
/// `templates/<name>.mustache` is the template; the other `.mustache` files of that folder
/// are its partials (`{{> pied}}`). A name ending in `.html` (`hebdo.html.mustache`)
/// HTML-escapes `{{values}}`; any other template is text (Markdown, plain text) and does
/// not. swift-mustache does not bound what a template does, so what could run away is
/// refused before rendering: partials that include themselves (directly or not), custom
/// delimiters (which would hide partial tags from that check), sections nested deeper than
/// ``maximumNesting``, files larger than ``maximumFileSize``; lists stop (and the rendering
/// fails) after ``maximumIterations`` repetitions in all, so nested sections over long lists
/// cannot multiply without bound; and output beyond ``maximumOutput`` is an error.
public final class MustacheTemplates: TemplateRendering {
    public static let maximumFileSize = 256 << 10
    public static let maximumFiles = 200
    public static let maximumNesting = 6
    public static let maximumOutput = 4 << 20
    /// Items all sections of one rendering may repeat over, nested ones included.
    public static let maximumIterations = 100_000

    /// Parsed template folders, by path: a plugin renders many times, reads once.
    private var libraries: [String: LoadedLibrary] = [:]

    /// A folder's templates, parsed, with the size of each once its partials are written
    /// in: what one rendering writes without a value or a repetition.
    private struct LoadedLibrary {
        var library: MustacheLibrary
        var names: Set<String>
        var expandedBytes: [String: Int]
    }

    public init() {}

    public func render(template name: String, in folder: URL, shownAs prefix: String, context: InterchangeValue) throws
        -> String
    {
        let valid =
            !name.isEmpty && name.utf8.count <= 100
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F || byte == 0x2E
            } && !name.hasPrefix(".") && !name.contains("..")
        guard valid else {
            throw LuaFunctionError(
                "relais.template: '\(name.prefix(80))' is not a template name (letters, digits, -, _ and .; "
                    + "the file is templates/<name>.mustache)")
        }
        let templatesFolder = folder.appendingPathComponent("templates")
        let loaded = try library(in: templatesFolder, shownAs: prefix + "templates/")
        guard loaded.names.contains(name), let template = loaded.library.getTemplate(named: name) else {
            throw LuaFunctionError("relais.template: no template \(prefix)templates/\(name).mustache")
        }
        // Partials included many times over, at every level, multiply the text without any
        // section: refused before rendering.
        let expanded = loaded.expandedBytes[name] ?? 0
        guard expanded <= Self.maximumOutput else {
            throw LuaFunctionError(
                "relais.template: \(prefix)templates/\(name).mustache includes its partials so many times that "
                    + "their text alone exceeds \(Self.maximumOutput >> 20) MiB")
        }
        // Each repetition may write at most the template's expanded text again: fewer of
        // them for larger templates, so that their text alone cannot multiply past the
        // output bound; the values' text is counted as it is written (``BudgetedText``).
        let budget = IterationBudget(
            min(Self.maximumIterations, max(1, 4 * Self.maximumOutput / max(1, expanded))),
            outputBytes: Self.maximumOutput)
        let output = template.render(Self.mustacheValue(context, budget), library: loaded.library)
        guard !budget.outputExceeded, output.utf8.count <= Self.maximumOutput else {
            throw LuaFunctionError(
                "relais.template: \(prefix)templates/\(name).mustache rendered more than \(Self.maximumOutput >> 20) MiB")
        }
        guard !budget.exceeded else {
            throw LuaFunctionError(
                "relais.template: \(prefix)templates/\(name).mustache repeats sections more than "
                    + "\(Self.maximumIterations) times in all (nested sections over long lists?)")
        }
        return output
    }

    private func library(in folder: URL, shownAs prefix: String) throws -> LoadedLibrary {
        if let cached = libraries[folder.path] { return cached }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".mustache") && !$0.hasPrefix(".") }.sorted()
        } catch {
            throw LuaFunctionError("relais.template: the plugin has no templates folder (\(prefix.dropLast()))")
        }
        guard files.count <= Self.maximumFiles else {
            throw LuaFunctionError("relais.template: \(prefix.dropLast()) holds more than \(Self.maximumFiles) templates")
        }
        var library = MustacheLibrary()
        var names: Set<String> = []
        var bytes: [String: Int] = [:]
        var partials: [String: [String]] = [:]
        for file in files {
            let name = String(file.dropLast(".mustache".count))
            let shown = prefix + file
            let url = folder.appendingPathComponent(file)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= Self.maximumFileSize else {
                throw LuaFunctionError("relais.template: \(shown) is larger than \(Self.maximumFileSize >> 10) KiB")
            }
            guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8)
            else {
                throw LuaFunctionError("relais.template: \(shown) cannot be read as UTF-8 text")
            }
            bytes[name] = data.count
            let scan = try TemplateScan(text, shownAs: shown)
            partials[name] = scan.partials
            // The content type pragma goes on the first line, so line numbers stay those of the file.
            let contentType = name.hasSuffix(".html") ? "HTML" : "TEXT"
            let source = "{{% CONTENT_TYPE: \(contentType)}}" + text
            do {
                library.register(try MustacheTemplate(string: source), named: name)
            } catch let error as MustacheTemplate.ParserError {
                throw LuaFunctionError(
                    "relais.template: \(shown):\(error.context.lineNumber):\(error.context.columnNumber): "
                        + Self.describe(error.error))
            } catch {
                throw LuaFunctionError("relais.template: \(shown): \(error)")
            }
            names.insert(name)
        }
        try Self.refuseCycles(partials, prefix: prefix)
        let loaded = LoadedLibrary(
            library: library, names: names, expandedBytes: Self.expandedBytes(bytes, partials: partials))
        libraries[folder.path] = loaded
        return loaded
    }

    /// Each template's size with every inclusion of a partial counted (a partial named
    /// twice counts twice), saturating rather than overflowing. Cycles are refused first.
    private static func expandedBytes(_ bytes: [String: Int], partials: [String: [String]]) -> [String: Int] {
        var expanded: [String: Int] = [:]
        func size(_ name: String) -> Int {
            if let known = expanded[name] { return known }
            var total = bytes[name] ?? 0
            for partial in partials[name] ?? [] where partials[partial] != nil {
                let (sum, overflow) = total.addingReportingOverflow(size(partial))
                total = overflow ? Int.max : sum
            }
            expanded[name] = total
            return total
        }
        for name in bytes.keys { _ = size(name) }
        return expanded
    }

    /// A partial that includes itself, through any number of others, would recurse without end.
    private static func refuseCycles(_ partials: [String: [String]], prefix: String) throws {
        var state: [String: Int] = [:]  // 1: being visited, 2: done
        func visit(_ name: String, _ path: [String]) throws {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = (path.drop(while: { $0 != name }) + [name]).joined(separator: " → ")
                throw LuaFunctionError("relais.template: \(prefix)\(name).mustache includes itself (\(cycle))")
            }
            state[name] = 1
            for next in partials[name] ?? [] where partials[next] != nil { try visit(next, path + [name]) }
            state[name] = 2
        }
        for name in partials.keys.sorted() { try visit(name, []) }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        switch error {
        case .sectionCloseNameIncorrect: return "this closing tag does not match the open section"
        case .unfinishedName: return "unfinished tag"
        case .expectedSectionEnd: return "a section is not closed"
        case .invalidSetDelimiter: return "bad delimiter tag"
        case .transformAppliedToInheritanceSection: return "a transform cannot apply to an inherited section"
        case .illegalTokenInsideInheritSection: return "unexpected tag inside an inherited section"
        case .textInsideInheritSection: return "text inside an inherited section"
        case .invalidConfigVariableSyntax: return "bad pragma"
        case .unrecognisedConfigVariable: return "unknown pragma"
        }
    }

    /// JSON values as swift-mustache reads them: objects as dictionaries, whole numbers as
    /// Int, lists drawing on `budget`.
    static func mustacheValue(_ value: InterchangeValue, _ budget: IterationBudget) -> Any {
        switch value {
        case .null: return Optional<String>.none as Any
        case .bool(let flag): return flag
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 { return Int(number) }
            return number
        case .string(let text): return BudgetedText(text: text, budget: budget)
        case .array(let items): return BudgetedList(items: items.map { mustacheValue($0, budget) }, budget: budget)
        case .object(let fields): return fields.mapValues { mustacheValue($0, budget) }
        }
    }
}

/// How many list items one rendering may still visit, and how many bytes of values it
/// may still write.
final class IterationBudget {
    private var remaining: Int
    private(set) var exceeded = false
    private var outputRemaining: Int
    private(set) var outputExceeded = false
    init(_ limit: Int, outputBytes: Int = .max) {
        remaining = limit
        outputRemaining = outputBytes
    }

    /// Whether `count` more bytes of values may be written.
    func takeOutput(_ count: Int) -> Bool {
        guard count <= outputRemaining else {
            outputExceeded = true
            outputRemaining = 0
            return false
        }
        outputRemaining -= count
        return true
    }
    func take() -> Bool {
        guard remaining > 0 else {
            exceeded = true
            return false
        }
        remaining -= 1
        return true
    }
}

/// A text value that counts what it writes against the rendering's budget, and writes
/// nothing once it is spent: swift-mustache gathers the whole output in memory, so a long
/// value repeated over a list must stop before it is written, not be measured after.
/// Mustache's transforms (`{{uppercased(title)}}`) work as on a string.
struct BudgetedText: MustacheCustomRenderable, MustacheTransformable {
    let text: String
    let budget: IterationBudget

    var renderText: String { budget.takeOutput(text.utf8.count) ? text : "" }
    var isNull: Bool { false }

    func transform(_ name: String) -> Any? {
        guard let transformed = text.transform(name) else { return nil }
        if let string = transformed as? String { return BudgetedText(text: string, budget: budget) }
        if let substring = transformed as? Substring { return BudgetedText(text: String(substring), budget: budget) }
        return transformed
    }
}

/// A list that stops giving items once the rendering's budget is spent.
struct BudgetedList: MustacheSequence {
    let items: [Any]
    let budget: IterationBudget

    struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Any]>
        let budget: IterationBudget
        mutating func next() -> Any? {
            guard let item = base.next() else { return nil }
            return budget.take() ? item : nil
        }
    }

    func makeIterator() -> Iterator { Iterator(base: items.makeIterator(), budget: budget) }
}

/// What rendering needs to know of a template before it runs: the partials it includes.
/// Also refuses what would defeat that knowledge or nest without bound.
struct TemplateScan {
    var partials: [String] = []

    init(_ text: String, shownAs name: String) throws {
        var depth = 0
        var line = 1
        var index = text.startIndex
        while let open = text.range(of: "{{", range: index..<text.endIndex) {
            line += text[index..<open.lowerBound].reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
            var tag = text[open.upperBound..<close.lowerBound]
            if tag.hasPrefix("{") { tag = tag.dropFirst() }
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            switch trimmed.first {
            case "=":
                throw LuaFunctionError(
                    "relais.template: \(name):\(line): custom delimiters ({{=...=}}) are not supported in Relais templates")
            case ">", "<":
                partials.append(trimmed.dropFirst().trimmingCharacters(in: .whitespaces))
                if trimmed.first == "<" { depth += 1 }
            case "#", "^", "$":
                depth += 1
                if depth > MustacheTemplates.maximumNesting {
                    throw LuaFunctionError(
                        "relais.template: \(name):\(line): sections nest deeper than \(MustacheTemplates.maximumNesting)")
                }
            case "/":
                depth = max(0, depth - 1)
            default:
                break
            }
            line += text[open.lowerBound..<close.upperBound].reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            index = close.upperBound
        }
    }
}
