@_spi(Internals) import MultiSocketConnector

/// The ``PipeObserver``s of one socket. Calls happen outside the lock, in registration order.
final class PipeHooks: Sendable {
    private struct Entry {
        let key: ObjectIdentifier
        let observer: any PipeObserver
    }

    private let observers = Locked<[Entry]>([])

    /// Adds `observer` (once; adding it again does nothing).
    func add(_ observer: any PipeObserver) {
        let key = ObjectIdentifier(observer)
        observers.withLock { entries in
            if !entries.contains(where: { $0.key == key }) { entries.append(Entry(key: key, observer: observer)) }
        }
    }

    /// Removes `observer`, if it is there.
    func remove(_ observer: any PipeObserver) {
        let key = ObjectIdentifier(observer)
        observers.withLock { entries in entries.removeAll { $0.key == key } }
    }

    /// Removes every observer (the socket closed), releasing them.
    func removeAll() {
        observers.withLock { entries in entries.removeAll() }
    }

    func added(_ pipe: MessagePipe) {
        for entry in observers.withLock({ $0 }) { entry.observer.pipeAdded(pipe) }
    }

    func removed(_ pipe: MessagePipe) {
        for entry in observers.withLock({ $0 }) { entry.observer.pipeRemoved(pipe) }
    }
}
