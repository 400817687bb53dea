// Publish/subscribe: one publisher, three subscribers filtering by topic prefix.
import MultiSocketProtocols


func run() async throws {
    let publisher = Pub()
    let address = try publisher.listen("ipc:///tmp/multisocket-pubsub-\(UInt32.random(in: 0...UInt32.max)).sock")
    print("publisher: listening on \(address)")

    let weather = Sub(), sport = Sub(), everything = Sub()
    weather.subscribe("weather/")
    sport.subscribe("sport/")
    everything.subscribe("")  // the empty prefix matches everything
    let subscribers = [("weather", weather), ("sport", sport), ("everything", everything)]
    for (_, subscriber) in subscribers {
        let events = publisher.events()
        try await subscriber.dial(address)
        // Publishing only reaches connected subscribers: wait until the publisher sees this one.
        for await event in events { if case .pipeAdded = event { break } }
    }

    let news = ["weather/paris: sunny", "sport/tennis: 6-4 6-3", "traffic/a1: jammed",
                "weather/oslo: snow", "sport/chess: draw"]
    for item in news {
        print("publisher: \(item)")
        try await publisher.publish(item)
    }

    for (name, subscriber) in subscribers {
        let expected = news.filter { subscriber.matches(Array($0.utf8)) }.count
        for _ in 0..<expected { print("  \(name) got: \(try await subscriber.receive().text)") }
    }
    // Subscriptions change at any time.
    weather.unsubscribe("weather/")
    weather.subscribe("traffic/")
    try await publisher.publish("weather/rome: rain")
    try await publisher.publish("traffic/a7: clear")
    print("  weather (now traffic) got: \(try await weather.receive().text)")
    print("  weather filtered out \(weather.filtered) messages locally")

    for (_, subscriber) in subscribers { await subscriber.close() }
    await publisher.close()
    print("done")
}

try await run()
