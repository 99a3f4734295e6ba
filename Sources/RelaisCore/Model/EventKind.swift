/// What sort of event this is (contract §1).
public enum EventKind: String, CaseIterable, Hashable, Sendable, Codable {
    case webinar, workshop, hackathon, training, conference
    case roundTable = "round-table"
    case forum
    case callForIdeas = "call-for-ideas"
    case consultation, meeting, podcast, other

    /// The French label used in tables, digests and agendas.
    public var frenchLabel: String {
        switch self {
        case .webinar: "webinaire"
        case .workshop: "atelier"
        case .hackathon: "hackathon"
        case .training: "formation"
        case .conference: "conférence"
        case .roundTable: "table ronde"
        case .forum: "forum"
        case .callForIdeas: "appel à idées"
        case .consultation: "consultation"
        case .meeting: "rencontre"
        case .podcast: "podcast"
        case .other: "autre"
        }
    }

    /// All accepted spellings, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Whether the event still takes place. A change of status is data, never a deletion.
public enum EventStatus: String, CaseIterable, Hashable, Sendable, Codable {
    case scheduled, postponed, cancelled

    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var frenchLabel: String {
        switch self {
        case .scheduled: "programmé"
        case .postponed: "reporté"
        case .cancelled: "annulé"
        }
    }
}
