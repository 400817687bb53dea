import CMultiSocketShims
import Glibc

/// The Linux backend: one edge-triggered `epoll` set, woken by an `eventfd` (token 0).
///
/// Every descriptor is watched for reading, writing and the peer's shutdown from the start; edges come by
/// themselves, so the handlers' hints cost nothing here.
final class EpollBackend: ReactorBackend, @unchecked Sendable {
    private static let capacity = 256
    private let epollFD: Int32
    private let wakeFD: Int32
    /// The events of one `epoll_wait`; touched only on the reactor thread.
    private let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: EpollBackend.capacity)

    init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epollFD >= 0 && wakeFD >= 0, "cannot create the reactor's epoll or eventfd descriptor")
        var event = epoll_event()
        event.events = cms_epollin()
        event.data.u64 = 0
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    func add(_ fd: Int32, token: UInt64) -> Bool {
        var event = epoll_event()
        event.events = cms_epollin() | cms_epollout() | cms_epollrdhup() | cms_epollet()
        event.data.u64 = token
        return epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
    }

    func remove(_ fd: Int32) {
        var event = epoll_event()
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    func awaitWritable(_ fd: Int32) -> Bool { false }

    func setReadInterest(_ fd: Int32, _ wanted: Bool) -> Bool { false }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    func wait(timeout: Int32, _ handle: (UInt64, UInt32) -> Void) {
        let count = epoll_wait(epollFD, events, Int32(Self.capacity), timeout)
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let event = events[index]
            if event.data.u64 == 0 {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
                continue
            }
            handle(event.data.u64, event.events)
        }
    }
}
