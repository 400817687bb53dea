// Talk call latency beside Req/Rep, over tcp in one process (issue 15's measure: Talk within 1.3× of Req/Rep).
// Both pairs run on one I/O thread of their own, so that neither pays thread hops the other does not; the rounds
// alternate, and the medians of the rounds are compared.
//
//   swift run -c release MultiSocketTalkPerf [round trips per round, default 20000] [rounds, default 5]
import MultiSocketTalk

/// The time of `count` round trips after `count / 20` untimed ones.
func timed(_ count: Int, _ roundTrip: () async throws -> Void) async throws -> Duration {
    for _ in 0..<count / 20 { try await roundTrip() }
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<count { try await roundTrip() }
    return clock.now - start
}

func microseconds(_ duration: Duration, _ count: Int) -> Double {
    let (seconds, attoseconds) = duration.components
    return (Double(seconds) * 1e6 + Double(attoseconds) / 1e12) / Double(count)
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `value` to one decimal place (`precision` 10) or two (100).
func rounded(_ value: Double, _ precision: Double = 10) -> Double { (value * precision).rounded() / precision }

@main
struct TalkPerf {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let count = arguments.first ?? 20000
        let rounds = arguments.dropFirst().first ?? 5
        var options = SocketOptions()
        options.reactorGroup = ReactorGroup(threads: 1, name: "talkperf")
        let body = [UInt8](repeating: 0x78, count: 64)

        let rep = Rep(options: options)
        let repAddress = try rep.listen("tcp://127.0.0.1:0")
        let serving = Task { try await rep.serve(workers: 1) { $0.body } }
        let req = Req(options: options)
        try await req.dial("\(repAddress)")

        let server = Talk(options: options)
        server.handle("echo") { request in request.payload }
        let talkAddress = try server.listen("tcp://127.0.0.1:0")
        let client = Talk(options: options)
        try await client.dial("\(talkAddress)")
        let running = [Task { try await server.run() }, Task { try await client.run() }]

        var reqRep: [Double] = [], talk: [Double] = []
        for round in 0..<rounds {
            let reqTime = try await timed(count) { _ = try await req.request(body) }
            let talkTime = try await timed(count) { _ = try await client.call("echo", body) }
            reqRep.append(microseconds(reqTime, count))
            talk.append(microseconds(talkTime, count))
            print("round \(round + 1): Req/Rep \(rounded(reqRep.last!)) µs, Talk \(rounded(talk.last!)) µs per call")
        }
        let ratio = median(talk) / median(reqRep)
        print("median over \(rounds) rounds of \(count) calls, 64 B over tcp: Req/Rep \(rounded(median(reqRep))) µs, "
              + "Talk \(rounded(median(talk))) µs, Talk ÷ Req/Rep \(rounded(ratio, 100))")
        for task in running { task.cancel() }
        serving.cancel()
        await client.close()
        await server.close()
        await req.close()
        await rep.close()
    }
}
