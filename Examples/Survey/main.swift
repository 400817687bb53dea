// Survey: a surveyor polls five respondents twice. One respondent is too slow: its answers arrive after
// the deadline and are dropped (and counted) instead of polluting the next round.
import MultiSocketProtocols

func run() async throws {
    let surveyor = Surveyor()
    let address = try surveyor.listen("inproc://survey-example")
    let names = ["alpha", "bravo", "charlie", "delta", "echo (slow)"]
    var answering: [Task<Void, Never>] = []
    var respondents: [Respondent] = []
    for (index, name) in names.enumerated() {
        let respondent = Respondent()
        respondents.append(respondent)
        let events = surveyor.events()
        try await respondent.dial(address)
        for await event in events { if case .pipeAdded = event { break } }
        answering.append(Task {
            while let survey = try? await respondent.receive() {
                let delay = index == names.count - 1 ? 600 : 20 * index
                try? await Task.sleep(for: .milliseconds(delay))
                let load = Int.random(in: 0...100)
                let answer = "\(name): load \(load)% for '\(survey.text)'"
                try? await respondent.respond(to: survey, answer)
            }
        })
    }

    for round in 1...2 {
        let answers = try await surveyor.survey("status \(round)?", deadline: .milliseconds(400))
        print("round \(round): \(answers.count) of \(names.count) answered within 400 ms")
        for answer in answers { print("  \(answer.text)") }
    }
    // Give the slow respondent's second answer time to arrive, then show that it was dropped too.
    let last = try await surveyor.survey("last", deadline: .milliseconds(700))
    print("last round: \(last.count) answers; answers to finished surveys dropped: \(surveyor.droppedAnswers)")

    for respondent in respondents { await respondent.close() }
    for task in answering { await task.value }
    await surveyor.close()
    print("done")
}

try await run()
