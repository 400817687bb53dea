/// An sp+tcp or sp+ipc listener: the stream listener underneath, shown under its `sp+` address.
final class SPListener: TransportListener {
    /// The address bound, with its `sp+` scheme and the query it was listened with.
    let address: Address
    private let inner: any TransportListener

    /// Wraps `inner`, which accepts for the endpoint `address`. Any thread.
    init(inner: any TransportListener, address: Address) {
        self.inner = inner
        self.address = address
    }

    /// Closes the listener underneath; the port or socket file is free when this returns. Any task.
    func close() async {
        await inner.close()
    }
}
