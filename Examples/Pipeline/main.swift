// Pipeline: a ventilator pushes tasks to three workers; the workers push results to a sink.
import MultiSocketProtocols

func run() async throws {
    let ventilator = Push()
    let sink = Pull()
    let tasksAddress = try ventilator.listen("inproc://pipeline-tasks")
    let resultsAddress = try sink.listen("inproc://pipeline-results")

    let inboxes = (0..<3).map { _ in Pull() }
    let workers = inboxes.enumerated().map { number, tasks in
        Task {
            let results = Push()
            try await tasks.dial(tasksAddress)
            try await results.dial(resultsAddress)
            while let task = try? await tasks.receive() {
                try await Task.sleep(for: .milliseconds(Int(task.content[0])))  // the "work"
                try await results.send([UInt8(number), task.content[0]])
            }
            await results.close()
        }
    }
    // Wait until all three workers are connected, so the work is spread over them from the start.
    let events = ventilator.events()
    if ventilator.statistics.pipes < 3 {
        for await event in events { if case .pipeAdded = event, ventilator.statistics.pipes >= 3 { break } }
    }

    let workloads: [UInt8] = (0..<15).map { _ in UInt8.random(in: 10...60) }
    print("ventilator: sending \(workloads.count) tasks, \(workloads.map(Int.init).reduce(0, +)) ms of work in all")
    let clock = ContinuousClock()
    let start = clock.now
    for workload in workloads { try await ventilator.send([workload]) }

    var perWorker = [0, 0, 0]
    for _ in workloads {
        let result = try await sink.receive().content
        perWorker[Int(result[0])] += 1
        print("sink: worker \(result[0]) finished a \(result[1]) ms task")
    }
    print("sink: all done in \(clock.now - start); tasks per worker: \(perWorker)")

    await ventilator.close()
    for inbox in inboxes { await inbox.close() }
    for worker in workers { try await worker.value }
    await sink.close()
    print("done")
}

try await run()
