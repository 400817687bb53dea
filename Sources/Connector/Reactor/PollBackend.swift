import CMultiSocketShims
import Glibc

/// The portable backend: `poll(2)` over every watched descriptor each turn, woken by an `eventfd`.
///
/// `poll` is level-triggered; handlers are written for epoll's edges. The emulation:
/// - **Reading** is watched while the handler wants it (on from ``add(_:token:)``): a handler reads until
///   `EAGAIN`, after which the descriptor is not readable and reports nothing more until new bytes arrive.
///   A handler that stops early on purpose (a paused link) turns it off with ``setReadInterest(_:_:)`` and
///   on again when it reads once more, so its unread bytes do not report it every turn.
/// - **Writing** is watched once from ``add(_:token:)`` (epoll's first edge), then only after
///   ``awaitWritable(_:)`` (a writer met `EAGAIN`), and reported once each time: a socket is writable almost
///   always, and watching it would wake the loop every turn.
/// - **Hang-up and error** cannot be masked in `poll`; they are reported once while reading is off, then
///   the descriptor is left out until reading is on again (the handler reads the end then).
final class PollBackend: ReactorBackend, @unchecked Sendable {
    private struct Interest {
        let token: UInt64
        var reading = true
        /// On from the start, for one report: epoll reports a writable descriptor when it is added, and a
        /// connect in progress or a write blocked before registration waits for that.
        var writing = true
        var hangUpReported = false

        /// What to ask `poll` for, or `nil` to leave the descriptor out this turn.
        var events: Int16? {
            if !reading && (hangUpReported || !writing) { return nil }
            var events: Int16 = 0
            if reading { events |= Int16(POLLIN) | cms_pollrdhup() }
            if writing { events |= Int16(POLLOUT) }
            return events
        }
    }

    private let wakeFD: Int32
    private let interests = Locked<[Int32: Interest]>([:], rank: .reactorBackend)
    /// One turn's `pollfd`s and their tokens, rebuilt each turn; touched only on the reactor thread.
    private var polled: [pollfd] = []
    private var tokens: [UInt64] = []
    private var ready: [(token: UInt64, events: UInt32)] = []

    init() {
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeFD >= 0, "cannot create the reactor's eventfd descriptor")
    }

    func add(_ fd: Int32, token: UInt64) -> Bool {
        // poll reports a bad descriptor only as POLLNVAL on a later turn: refuse it now, as epoll_ctl would.
        guard fcntl(fd, F_GETFD) >= 0 else { return false }
        return interests.withLock { table in
            guard table[fd] == nil else {
                errno = EEXIST
                return false
            }
            table[fd] = Interest(token: token)
            return true
        }
    }

    func remove(_ fd: Int32) {
        interests.withLock { _ = $0.removeValue(forKey: fd) }
    }

    func awaitWritable(_ fd: Int32) -> Bool {
        interests.withLock { table in
            guard table[fd] != nil, table[fd]?.writing == false else { return false }
            table[fd]?.writing = true
            return true
        }
    }

    func setReadInterest(_ fd: Int32, _ wanted: Bool) -> Bool {
        interests.withLock { table in
            guard let interest = table[fd], interest.reading != wanted else { return false }
            table[fd]?.reading = wanted
            if wanted { table[fd]?.hangUpReported = false }
            return wanted
        }
    }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    func wait(timeout: Int32, _ handle: (UInt64, UInt32) -> Void) {
        polled.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        polled.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
        tokens.append(0)
        interests.withLock { table in
            for (fd, interest) in table {
                guard let events = interest.events else { continue }
                polled.append(pollfd(fd: fd, events: events, revents: 0))
                tokens.append(interest.token)
            }
        }
        let count = polled.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
        guard count > 0 else { return }
        if polled[0].revents != 0 {
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
        }
        let reported = UInt32(POLLIN | POLLOUT | POLLERR | POLLHUP) | UInt32(UInt16(bitPattern: cms_pollrdhup()))
        let hangUp = Int16(POLLHUP | POLLERR)
        interests.withLock { table in
            for index in 1..<polled.count where polled[index].revents != 0 {
                let fd = polled[index].fd
                // Removed, or removed and its number reused, while the loop slept: not this turn's.
                guard let interest = table[fd], interest.token == tokens[index] else { continue }
                let revents = polled[index].revents
                if revents & Int16(POLLOUT) != 0 { table[fd]?.writing = false }
                if revents & hangUp != 0 && !interest.reading { table[fd]?.hangUpReported = true }
                let events = UInt32(UInt16(bitPattern: revents)) & reported
                if events != 0 { ready.append((interest.token, events)) }
            }
        }
        for event in ready { handle(event.token, event.events) }
        ready.removeAll(keepingCapacity: true)
    }
}
