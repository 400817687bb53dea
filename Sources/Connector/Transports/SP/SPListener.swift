/// An sp+tcp or sp+ipc listener: the stream listener underneath, shown under its `sp+` address, and the SP
/// header exchanges of the connections it accepted.
final class SPListener: TransportListener {
    /// The address bound, with its `sp+` scheme and the query it was listened with.
    let address: Address
    private let inner: any TransportListener
    private let handshakes: SPHandshakes

    /// Wraps `inner`, which accepts for the endpoint `address` and runs its exchanges in `handshakes`. Any
    /// thread.
    init(inner: any TransportListener, handshakes: SPHandshakes, address: Address) {
        self.inner = inner
        self.handshakes = handshakes
        self.address = address
    }

    /// Closes the listener underneath (the port or socket file is free when this returns) and stops the
    /// header exchanges under way: their connections close. Any task.
    func close() async {
        await inner.close()
        handshakes.closeAll()
    }
}
