/// A parsed `soak` command line.
public enum SoakCommand: Sendable, Equatable {
    /// Drive the patterns and check every message.
    case run(SoakOptions)
    /// Run one server for a fault test.
    case serve(ServeOptions)
    /// Print the usage text.
    case help

    /// Parses `arguments` (without the program name).
    /// - Throws: ``SoakError`` naming what is wrong.
    public init(arguments: [String]) throws(SoakError) {
        if arguments.contains("--help") || arguments.contains("-h") {
            self = .help
            return
        }
        var values = try Self.pairs(arguments.first == "serve" ? Array(arguments.dropFirst()) : arguments)
        func take(_ name: String) -> String? { values.removeValue(forKey: name) }
        if arguments.first == "serve" {
            guard let name = take("--pattern") else { throw SoakError("serve needs --pattern reqrep|pushpull") }
            guard let pattern = SoakPattern(rawValue: name), pattern != .pubsub else {
                throw SoakError("serve --pattern must be reqrep or pushpull, not '\(name)'")
            }
            guard let address = take("--address") else { throw SoakError("serve needs --address URL") }
            var options = ServeOptions(pattern: pattern, address: address)
            if let spare = take("--spare-fds") { options.spareFiles = try Self.integer("--spare-fds", spare, 1...4096) }
            try Self.rejectRest(values)
            self = .serve(options)
            return
        }
        var options = SoakOptions()
        if let text = take("--peers") { options.peers = try Self.integer("--peers", text, 1...10_000) }
        if let text = take("--seconds") { options.seconds = try Self.number("--seconds", text, 0.1...1e7) }
        if let text = take("--size") { options.size = try Self.integer("--size", text, 0...(1 << 20)) }
        if let text = take("--patterns") {
            options.patterns = []
            for name in text.split(separator: ",") {
                guard let pattern = SoakPattern(rawValue: String(name)) else {
                    throw SoakError("unknown pattern '\(name)'")
                }
                if !options.patterns.contains(pattern) { options.patterns.append(pattern) }
            }
            if options.patterns.isEmpty { throw SoakError("--patterns names no pattern") }
        }
        if let text = take("--report-every") {
            options.reportEvery = try Self.number("--report-every", text, 0.1...1e6)
        }
        if let text = take("--warmup") { options.warmup = try Self.number("--warmup", text, 0...1e7) }
        if let text = take("--rss-tolerance") {
            options.rssToleranceMiB = try Self.number("--rss-tolerance", text, 0...1e6)
        }
        if let text = take("--fd-tolerance") {
            options.fdTolerance = try Self.integer("--fd-tolerance", text, 0...1_000_000)
        }
        if let text = take("--churn") { options.churn = try Self.integer("--churn", text, 0...10_000) }
        if let text = take("--pub-window") { options.pubWindow = try Self.integer("--pub-window", text, 0...1_000_000) }
        if let text = take("--workers") { options.workers = try Self.integer("--workers", text, 1...1024) }
        if let text = take("--request-timeout") {
            options.requestTimeout = try Self.number("--request-timeout", text, 0.01...1e6)
        }
        try Self.rejectRest(values)
        self = .run(options)
    }

    private static func pairs(_ arguments: [String]) throws(SoakError) -> [String: String] {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard name.hasPrefix("--") else { throw SoakError("unexpected argument '\(name)'") }
            guard index + 1 < arguments.count else { throw SoakError("\(name) needs a value") }
            guard values[name] == nil else { throw SoakError("\(name) given twice") }
            values[name] = arguments[index + 1]
            index += 2
        }
        return values
    }

    private static func rejectRest(_ values: [String: String]) throws(SoakError) {
        if let name = values.keys.sorted().first { throw SoakError("unknown option \(name)") }
    }

    private static func integer(_ name: String, _ text: String, _ range: ClosedRange<Int>) throws(SoakError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw SoakError("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }

    private static func number(_ name: String, _ text: String,
                               _ range: ClosedRange<Double>) throws(SoakError) -> Double {
        guard let value = Double(text), range.contains(value) else {
            throw SoakError("\(name) must be a number in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }
}
