/// Settings of a ``Connector``: how many pipes it keeps, and the defaults of its endpoints.
public struct ConnectorOptions: Sendable {
    /// The most pipes at once, or `nil` for no limit. At the limit, dialers pause and newly accepted
    /// connections wait (unread) in the ``backlog`` until a pipe leaves. The connector's live value is
    /// ``Connector/pipeLimit``, which starts as this and can be changed later.
    public var pipeLimit: Int?
    /// How many accepted connections may wait while the pipe limit is reached; more are closed.
    public var backlog: Int
    /// The options of every dialed and listened endpoint, unless `dial(_:options:)` or
    /// `listen(_:options:)` pass their own; the address's query overrides single fields of either.
    public var endpoint: EndpointOptions

    /// Creates options; every parameter has the documented default.
    public init(pipeLimit: Int? = nil, backlog: Int = 128, endpoint: EndpointOptions = EndpointOptions()) {
        self.pipeLimit = pipeLimit
        self.backlog = backlog
        self.endpoint = endpoint
    }
}
