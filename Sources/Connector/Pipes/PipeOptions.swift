/// The resolved settings of one endpoint's pipes, as a transport gets them: the endpoint's options (the
/// socket's defaults or those passed to `dial`/`listen`, with the address's query applied) and the queue
/// size of the socket that owns them. Fields of ``EndpointOptions`` read through (`options.raw`).
@dynamicMemberLookup
public struct PipeOptions: Sendable, Hashable {
    /// The endpoint's options.
    public var endpoint: EndpointOptions
    /// How many messages a pipe's outbound queue holds beyond what the transport has taken.
    public var sendQueueSize: Int
    /// Whether the endpoint speaks the Scalability Protocols wire (an `sp+` scheme) rather than multisocket
    /// frames: set by the SP transports for the stream and WebSocket code they share with tcp and ws.
    package var scalabilityProtocols = false

    /// Creates resolved options.
    public init(endpoint: EndpointOptions = EndpointOptions(), sendQueueSize: Int = 64) {
        self.endpoint = endpoint
        self.sendQueueSize = sendQueueSize
    }

    /// A field of ``endpoint``.
    public subscript<Value>(dynamicMember field: KeyPath<EndpointOptions, Value>) -> Value {
        endpoint[keyPath: field]
    }
}
