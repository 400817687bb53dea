import Synchronization

/// One path's listener, as the connector sees it; the socket belongs to the endpoint's ``WebSocketServer``.
final class WebSocketListener: TransportListener {
    let address: Address
    let key: String
    let path: String
    private let closed = Atomic(false)

    init(key: String, path: String, address: Address) {
        self.key = key
        self.path = path
        self.address = address
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let server = WebSocketTransport.remove(self) { await server.close() }
    }
}
